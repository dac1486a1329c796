import type { JobKind, JobSpec } from "./types";

/** The resource a step loads; each has its own concurrency limit (see Limiter). */
export type Bottleneck = "hil" | "image" | "target" | "boot" | "none";

export interface PlannedStep {
  name: string;
  bottleneck: Bottleneck;
  /** Decided at creation from the spec, so a resumed job runs the same steps. */
  skip?: (spec: JobSpec) => boolean;
}

const PROVISION: PlannedStep[] = [
  { name: "check_node", bottleneck: "hil" },
  // Separate from check_node so that a resumed job knows whether *it* took the node from the free pool.
  { name: "allocate", bottleneck: "hil" },
  { name: "disk", bottleneck: "image" },
  { name: "target", bottleneck: "target" },
  { name: "boot_config", bottleneck: "boot" },
  { name: "network", bottleneck: "hil", skip: (s) => !s.network },
  { name: "power", bottleneck: "hil", skip: (s) => !s.powerCycle },
  { name: "boot_seen", bottleneck: "none", skip: (s) => !s.waitForBoot },
];

// Re-provisioning to an earlier disk is a provision without clone, then the previous disk's target goes.
const REPROVISION: PlannedStep[] = [
  ...PROVISION.filter((s) => s.name !== "network"),
  { name: "retire_previous", bottleneck: "target", skip: (s) => !s.previous || s.previous.disk === s.disk },
];

// Teardown steps are themselves idempotent undo actions: a failed deprovision is retried, never rolled back.
const DEPROVISION: PlannedStep[] = [
  { name: "check_node", bottleneck: "hil" },
  { name: "power_off", bottleneck: "hil" },
  { name: "boot_config", bottleneck: "boot" },
  { name: "network", bottleneck: "hil", skip: (s) => !s.previous?.network },
  { name: "target", bottleneck: "target" },
  { name: "disk", bottleneck: "image", skip: (s) => !s.deleteDisk },
  { name: "release", bottleneck: "hil", skip: (s) => !s.releaseNode },
];

const SNAPSHOT: PlannedStep[] = [
  { name: "check_node", bottleneck: "hil" },
  { name: "snapshot", bottleneck: "image" },
];

const PLANS: Record<JobKind, PlannedStep[]> = {
  PROVISION, REPROVISION, DEPROVISION, SNAPSHOT, BULK: [],
};

export function planFor(kind: JobKind): PlannedStep[] {
  return PLANS[kind];
}

export function bottleneckOf(kind: JobKind, step: string): Bottleneck {
  return PLANS[kind].find((s) => s.name === step)?.bottleneck ?? "none";
}

/** Undo runs for deprovision steps too, but the executor makes them no-ops: see DEPROVISION. */
export function isUndoable(kind: JobKind): boolean {
  return kind !== "DEPROVISION";
}
