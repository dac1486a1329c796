import { FailedPreconditionError } from "@bmi/errors";
import type { DeprovisionStepName } from "../engine/plan";
import type { StepContext } from "../engine/step-executor";
import { DEPROVISION_OUTPUTS as OUT, deprovisionOutput as out } from "../engine/outputs";
import { gone } from "./clients";
import type { IdleStep, StepTable } from "./table";

const prev = (ctx: StepContext) => ctx.job.spec.previous;

/**
 * Deprovisioning: each step removes one thing and is a no-op when it is already gone, so a rerun finishes it. Nothing
 * here is undone (plan.ts isUndoable): a failed deprovision is run again.
 */
export const DEPROVISION_STEPS = {
  check_node: async (ctx, env) => {
    const { node } = await env.clients.haas.getNode({ node: ctx.job.node }, env.call(ctx));
    if (node && node.project !== "" && node.project !== ctx.job.project) {
      throw new FailedPreconditionError(`node ${ctx.job.node} is allocated to another project`);
    }
    return { outputs: OUT.check_node.write({ powerDriver: node?.powerDriver ?? "" }) };
  },
  power_off: async (ctx, env) => {
    if (DEPROVISION_IDLE.power_off(ctx)) return { outputs: OUT.power_off.write({ skipped: "no power control" }) };
    await env.clients.haas.powerOff({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx));
    return {};
  },
  boot_config: async (ctx, env) => { await env.clients.boot.clearBootConfig({ node: ctx.job.node }, env.call(ctx)); },
  network: (ctx, env) => gone(env.clients.haas.detachNetwork({ project: ctx.job.project, node: ctx.job.node,
    nic: prev(ctx)?.nic ?? "", network: prev(ctx)?.network ?? "" }, env.call(ctx))),
  target: (ctx, env) => gone(env.clients.target.deleteTarget({ project: ctx.job.project, disk: prev(ctx)?.disk ?? "" }, env.call(ctx))),
  disk: (ctx, env) => gone(env.clients.image.deleteDisk({ project: ctx.job.project, name: prev(ctx)?.disk ?? "" }, env.call(ctx))),
  release: (ctx, env) => gone(env.clients.haas.releaseNode({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx))),
} satisfies StepTable<DeprovisionStepName>;

/** A node without power control has nothing to power off: its power_off step takes no HIL slot. */
export const DEPROVISION_IDLE = {
  power_off: (ctx) => !out(ctx.steps, "check_node").powerDriver,
} satisfies Partial<Record<DeprovisionStepName, IdleStep>>;
