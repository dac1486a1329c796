import { AlreadyExistsError } from "@bmi/errors";
import type { SnapshotStepName } from "../engine/plan";
import { SNAPSHOT_OUTPUTS as OUT } from "../engine/outputs";
import { gone, notFoundAs } from "./clients";
import type { StepTable, UndoTable } from "./table";

/** Snapshot of a provisioned node's disk into a new image of the project. */
export const SNAPSHOT_STEPS = {
  check_node: async (ctx, env) => {
    await env.clients.image.getDisk({ project: ctx.job.project, name: ctx.job.spec.disk ?? "" }, env.call(ctx));
  },
  snapshot: async (ctx, env) => {
    const { project, spec } = ctx.job;
    try {
      await env.clients.image.createSnapshot({ project, disk: spec.disk ?? "", name: spec.snapshot ?? "" }, env.call(ctx));
    } catch (err) {
      // A retry after a lost answer finds the image it made; on a first try the name was already taken.
      if (!(err instanceof AlreadyExistsError) || ctx.attempt === 1) throw err;
    }
    return { outputs: OUT.snapshot.write({ image: spec.snapshot ?? "" }) };
  },
} satisfies StepTable<SnapshotStepName>;

export const SNAPSHOT_UNDO = {
  snapshot: async (ctx, env) => {
    const { project, spec, created } = ctx.job;
    const name = spec.snapshot ?? "";
    if (ctx.steps.get("snapshot")?.state !== "SUCCEEDED") {
      // Half done: remove only an image this job made from this disk.
      const { image } = await env.clients.image.getImage({ project, name }, env.call(ctx)).catch(notFoundAs({ image: undefined }));
      if (!image || image.sourceDisk !== spec.disk || (image.created?.getTime() ?? 0) < Date.parse(created) - 1000) return;
    }
    await gone(env.clients.image.deleteImage({ project, name }, env.call(ctx)));
  },
} satisfies UndoTable<SnapshotStepName>;
