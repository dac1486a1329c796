import { provisionOutput as out } from "./outputs";
import type { FinishOp } from "./store";
import type { JobRecord, StepRecord } from "./types";

type Effects = Pick<FinishOp, "prov" | "disks">;

/** What a job that ran every step leaves in the provisioned records. */
export function successEffects(job: JobRecord, steps: ReadonlyMap<string, StepRecord>): Effects {
  const s = job.spec;
  switch (job.kind) {
    case "PROVISION":
    case "REPROVISION": {
      const disk = s.disk ?? "";
      // An absent output (a record made before the step wrote it) falls back on the spec.
      const image = steps.get("disk")?.outputs.image !== undefined ? out(steps, "disk").image : s.image ?? "";
      const set = {
        state: s.waitForBoot ? "BOOTED" as const : "READY" as const,
        disk, image, iqn: out(steps, "target").iqn,
        nic: out(steps, "check_node").nic ?? s.nic ?? "", network: s.network ?? s.previous?.network ?? "",
        project: job.project, node: job.node,
      };
      return { prov: { set }, disks: { add: { disk, image } } };
    }
    case "DEPROVISION":
      return { prov: "del", ...(s.deleteDisk && s.previous?.disk ? { disks: { rem: s.previous.disk } } : {}) };
    default:
      return { prov: "keep" };
  }
}

/**
 * What a job that failed or was cancelled leaves, after its completed steps were undone: the record as it was
 * before the job. A deprovision is not undone (its steps only remove things), so its node is marked FAILED and
 * can be deprovisioned again.
 */
export function failureEffects(job: JobRecord, undoFailed: boolean): Effects {
  if (undoFailed || job.kind === "DEPROVISION") return { prov: { set: { state: "FAILED" } } };
  if (job.kind === "PROVISION" && !job.spec.reuseDisk && job.spec.disk) {
    return { prov: "restore", disks: { rem: job.spec.disk } };
  }
  return { prov: "restore" };
}
