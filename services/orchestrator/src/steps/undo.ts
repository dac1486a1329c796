import type { ProvisionStepName } from "../engine/plan";
import type { StepContext } from "../engine/step-executor";
import { provisionOutput as out } from "../engine/outputs";
import { gone, notFoundAs } from "./clients";
import type { StepEnv, UndoTable } from "./table";

// Undo of a provision's (and a re-provision's) steps, run in reverse order when the job fails or is cancelled. Each
// may meet a step that was only half done, or never reached its service: it removes only what this job made.

async function deleteDisk(ctx: StepContext, env: StepEnv): Promise<void> {
  const { project, spec, created } = ctx.job;
  if (spec.reuseDisk) return;
  const rec = ctx.steps.get("disk");
  if (rec?.state !== "SUCCEEDED") {
    // Half done: delete only a disk this job made (not one that was there before it).
    const d = await env.clients.image.getDisk({ project, name: spec.disk ?? "" }, env.call(ctx)).catch(notFoundAs(undefined));
    if (!d?.disk || (d.disk.created && d.disk.created.getTime() < Date.parse(created) - 1000)) return;
  }
  await gone(env.clients.image.deleteDisk({ project, name: spec.disk ?? "" }, env.call(ctx)));
}

/** Undo of a re-provision's boot config: back to the disk the node booted before. */
async function restoreBootConfig(ctx: StepContext, env: StepEnv): Promise<void> {
  const { job } = ctx;
  const prev = job.spec.previous;
  const { target } = prev
    ? await env.clients.target.getTarget({ project: job.project, disk: prev.disk }, env.call(ctx)).catch(notFoundAs({ target: undefined }))
    : { target: undefined };
  if (!target?.target) {
    await env.clients.boot.clearBootConfig({ node: job.node }, env.call(ctx));
    return;
  }
  const { config } = await env.clients.boot.getBootConfig({ node: job.node }, env.call(ctx));
  await env.clients.boot.setBootConfig({ config: { ...config!, target: target.target, chap: target.chap, reverseChap: target.reverseChap } }, env.call(ctx));
}

export const PROVISION_UNDO = {
  allocate: async (ctx, env) => {
    if (!out(ctx.steps, "check_node").free || out(ctx.steps, "allocate").allocated === false) return;
    await gone(env.clients.haas.releaseNode({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx)));
  },
  disk: deleteDisk,
  target: (ctx, env) => gone(env.clients.target.deleteTarget({ project: ctx.job.project, disk: ctx.job.spec.disk ?? "" }, env.call(ctx))),
  boot_config: (ctx, env) => ctx.job.kind === "REPROVISION" ? restoreBootConfig(ctx, env)
    : env.clients.boot.clearBootConfig({ node: ctx.job.node }, env.call(ctx)).then(() => undefined),
  network: async (ctx, env) => {
    if (out(ctx.steps, "network").changed === false) return;
    const { job } = ctx;
    await gone(env.clients.haas.detachNetwork({ project: job.project, node: job.node,
      nic: out(ctx.steps, "check_node").nic ?? "", network: job.spec.network ?? "" }, env.call(ctx)));
  },
  power: async (ctx, env) => {
    if (!out(ctx.steps, "check_node").power) return;
    await env.clients.haas.powerOff({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx));
  },
} satisfies UndoTable<ProvisionStepName>;
