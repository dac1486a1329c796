import type { JobKind, JobSpec } from "./types";

/** The resource a step loads; each has its own concurrency limit (see Limiter). */
export type Bottleneck = "hil" | "image" | "target" | "boot" | "none";

/** Every step name of every plan: the step tables (steps/) are keyed by these, checked by the compiler. */
export const STEP_NAMES = [
  "check_node", "allocate", "disk", "target", "boot_config", "network", "power", "boot_seen", "retire_previous",
  "power_off", "release", "snapshot",
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface PlannedStep<N extends StepName = StepName> {
  name: N;
  bottleneck: Bottleneck;
  /** Decided at creation from the spec, so a resumed job runs the same steps. */
  skip?: (spec: JobSpec) => boolean;
}

/** The step names a plan lists. */
type NamesOf<P extends readonly PlannedStep[]> = P[number]["name"];

const PROVISION = [
  { name: "check_node", bottleneck: "hil" },
  // Separate from check_node so that a resumed job knows whether *it* took the node from the free pool.
  { name: "allocate", bottleneck: "hil" },
  { name: "disk", bottleneck: "image" },
  { name: "target", bottleneck: "target" },
  { name: "boot_config", bottleneck: "boot" },
  { name: "network", bottleneck: "hil", skip: (s) => !s.network },
  { name: "power", bottleneck: "hil", skip: (s) => !s.powerCycle },
  { name: "boot_seen", bottleneck: "none", skip: (s) => !s.waitForBoot },
] as const satisfies readonly PlannedStep[];

// Re-provisioning to an earlier disk is a provision without clone, then the previous disk's target goes.
const REPROVISION = [
  ...PROVISION.filter((s): s is Exclude<(typeof PROVISION)[number], { name: "network" }> => s.name !== "network"),
  { name: "retire_previous", bottleneck: "target", skip: (s: JobSpec) => !s.previous || s.previous.disk === s.disk },
] as const satisfies readonly PlannedStep[];

// Teardown steps are themselves idempotent undo actions: a failed deprovision is retried, never rolled back.
// The boot configuration goes first, before the power-off: a node whose power-off keeps failing (a dead BMC) can no
// longer network-boot its disk, and a running OS does not need it. Network, target and disk wait for the power-off
// (a kept disk is never pulled from under a running OS); release, last, keeps such a node in its project.
const DEPROVISION = [
  { name: "check_node", bottleneck: "hil" },
  { name: "boot_config", bottleneck: "boot" },
  { name: "power_off", bottleneck: "hil" },
  { name: "network", bottleneck: "hil", skip: (s) => !s.previous?.network },
  { name: "target", bottleneck: "target" },
  { name: "disk", bottleneck: "image", skip: (s) => !s.deleteDisk },
  { name: "release", bottleneck: "hil", skip: (s) => !s.releaseNode },
] as const satisfies readonly PlannedStep[];

const SNAPSHOT = [
  { name: "check_node", bottleneck: "hil" },
  { name: "snapshot", bottleneck: "image" },
] as const satisfies readonly PlannedStep[];

/** The steps of a provision or a re-provision (one step table serves both). */
export type ProvisionStepName = NamesOf<typeof PROVISION> | NamesOf<typeof REPROVISION>;
export type DeprovisionStepName = NamesOf<typeof DEPROVISION>;
export type SnapshotStepName = NamesOf<typeof SNAPSHOT>;

const PLANS: Record<JobKind, readonly PlannedStep[]> = {
  PROVISION, REPROVISION, DEPROVISION, SNAPSHOT, BULK: [],
};

export function planFor(kind: JobKind): readonly PlannedStep[] {
  return PLANS[kind];
}

export function bottleneckOf(kind: JobKind, step: StepName): Bottleneck {
  return PLANS[kind].find((s) => s.name === step)?.bottleneck ?? "none";
}

/** A name read back from Redis (a job's plan) as a StepName; an unknown one is a record this code did not write. */
export function isStepName(name: string): name is StepName {
  return (STEP_NAMES as readonly string[]).includes(name);
}

/**
 * Whether a failed or cancelled job of this kind undoes its steps. A deprovision does not: its steps only remove
 * things and each is a no-op once done, so it is retried (run again), never rolled back (see DEPROVISION).
 */
export function isUndoable(kind: JobKind): boolean {
  return kind !== "DEPROVISION";
}

// Every name in STEP_NAMES is in some plan (the plans' `satisfies` checks the other way round).
const everyNamePlanned: [Exclude<StepName, ProvisionStepName | DeprovisionStepName | SnapshotStepName>] extends [never] ? true : never = true;
void everyNamePlanned;
