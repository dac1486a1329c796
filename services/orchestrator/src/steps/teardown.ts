import { AlreadyExistsError, FailedPreconditionError } from "@bmi/errors";
import type { StepContext } from "../engine/executor";
import { gone, notFoundAs } from "./clients";
import type { StepEnv, StepTable } from "./table";

const prev = (ctx: StepContext) => ctx.job.spec.previous;

/** Deprovisioning: each step removes one thing and is a no-op when it is already gone, so a rerun finishes it. */
export const DEPROVISION_STEPS: StepTable = {
  check_node: {
    run: async (ctx, env) => {
      const { node } = await env.clients.haas.getNode({ node: ctx.job.node }, env.call(ctx));
      if (node && node.project !== "" && node.project !== ctx.job.project) {
        throw new FailedPreconditionError(`node ${ctx.job.node} is allocated to another project`);
      }
      return { outputs: { powerDriver: node?.powerDriver ?? "" } };
    },
  },
  power_off: {
    run: async (ctx, env) => {
      if (!ctx.steps.get("check_node")?.outputs.powerDriver) return { outputs: { skipped: "no power control" } };
      await env.clients.haas.powerOff({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx));
      return {};
    },
  },
  boot_config: { run: async (ctx, env) => { await env.clients.boot.clearBootConfig({ node: ctx.job.node }, env.call(ctx)); } },
  network: {
    run: (ctx, env) => gone(env.clients.haas.detachNetwork({ project: ctx.job.project, node: ctx.job.node,
      nic: prev(ctx)?.nic ?? "", network: prev(ctx)?.network ?? "" }, env.call(ctx))),
  },
  target: { run: (ctx, env) => gone(env.clients.target.deleteTarget({ project: ctx.job.project, disk: prev(ctx)?.disk ?? "" }, env.call(ctx))) },
  disk: { run: (ctx, env) => gone(env.clients.image.deleteDisk({ project: ctx.job.project, name: prev(ctx)?.disk ?? "" }, env.call(ctx))) },
  release: { run: (ctx, env) => gone(env.clients.haas.releaseNode({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx))) },
};

/** Snapshot of a provisioned node's disk into a new image of the project. */
export const SNAPSHOT_STEPS: StepTable = {
  check_node: {
    run: async (ctx, env) => {
      await env.clients.image.getDisk({ project: ctx.job.project, name: ctx.job.spec.disk ?? "" }, env.call(ctx));
    },
  },
  snapshot: {
    run: async (ctx, env: StepEnv) => {
      const { project, spec } = ctx.job;
      try {
        await env.clients.image.createSnapshot({ project, disk: spec.disk ?? "", name: spec.snapshot ?? "" }, env.call(ctx));
      } catch (err) {
        // A retry after a lost answer finds the image it made; on a first try the name was already taken.
        if (!(err instanceof AlreadyExistsError) || ctx.attempt === 1) throw err;
      }
      return { outputs: { image: spec.snapshot ?? "" } };
    },
    undo: async (ctx, env) => {
      const { project, spec, created } = ctx.job;
      const name = spec.snapshot ?? "";
      if (ctx.steps.get("snapshot")?.state !== "SUCCEEDED") {
        // Half done: remove only an image this job made from this disk.
        const { image } = await env.clients.image.getImage({ project, name }, env.call(ctx)).catch(notFoundAs({ image: undefined }));
        if (!image || image.sourceDisk !== spec.disk || (image.created?.getTime() ?? 0) < Date.parse(created) - 1000) return;
      }
      await gone(env.clients.image.deleteImage({ project, name }, env.call(ctx)));
    },
  },
};
