// The engine's own vocabulary: jobs, steps and provisioned nodes as they live in Redis. The gRPC edge maps these
// to and from bmi.orchestrator.v1 messages; nothing here knows about protobuf.

import type { StepName } from "./plan";

export type JobKind = "PROVISION" | "DEPROVISION" | "SNAPSHOT" | "REPROVISION" | "BULK";
/** PARTIAL: a bulk job that ended with some children succeeded and the others failed or cancelled. */
export type JobState = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLING" | "CANCELLED" | "PARTIAL";
export type StepState = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "UNDONE" | "SKIPPED";
export type NodeState = "PROVISIONING" | "READY" | "BOOTING" | "BOOTED" | "DEPROVISIONING" | "FAILED";

export const TERMINAL: ReadonlySet<JobState> = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "PARTIAL"]);

/** What a job was asked to do; fixed at creation so a resumed job does exactly the same thing. */
export interface JobSpec {
  node?: string;
  image?: string;
  /** Disk the job clones into (a fresh name) or, with reuseDisk, the existing disk it boots. */
  disk?: string;
  reuseDisk?: boolean;
  nic?: string;
  network?: string;
  powerCycle?: boolean;
  waitForBoot?: boolean;
  bootTimeoutSeconds?: number;
  /** NoCloud metadata boot-service serves the node's OS; wait for its userspace report (boot-wait.ts). */
  hostname?: string;
  userData?: string;
  waitForUserspace?: boolean;
  deleteDisk?: boolean;
  releaseNode?: boolean;
  /** Snapshot: name of the new image. */
  snapshot?: string;
  /** The node's provisioned record when the job was created (deprovision, snapshot, reprovision). */
  previous?: ProvisionedRecord;
  initiatorIqn?: string;
  /**
   * Target hosts that export an RBD-backed disk (2: multipath), as the instance that made the job was set
   * (BMI_ORCH_TARGET_MULTIPATH): any instance may run the job, and places it so. Unset: the running instance's.
   */
  targetHosts?: number;
  /** Bulk jobs: what each child does (BulkDeprovision: DEPROVISION); absent: PROVISION. */
  childKind?: JobKind;
}

export interface StepRecord {
  name: StepName;
  state: StepState;
  attempts: number;
  error: string;
  started?: string;
  finished?: string;
  /** Shown to callers (disk name, target IQN, ...), as each step's codec writes them (outputs.ts). */
  outputs: Record<string, string>;
  /** Kept for later steps and undo, never shown (CHAP secret); outputs.ts too. */
  secrets: Record<string, string>;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  project: string;
  state: JobState;
  node: string;
  error: string;
  created: string;
  updated: string;
  finished: string;
  parent: string;
  idempotencyKey: string;
  spec: JobSpec;
  /** In plan order. */
  steps: StepRecord[];
  childIds: string[];
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Set while the job is claimed; the owner's writes must carry it. */
  fence: number;
  owner: string;
  /** Who the job runs for (jobs/principal.ts): the user's identity, not their credentials; dropped when it ends. */
  principal: string;
  /** Fencing token of the node lock this job holds. */
  nodeFence: number;
  /** Why the job is being cancelled (set with CANCELLING). */
  cancelReason: string;
}

export interface ProvisionedRecord {
  project: string;
  node: string;
  disk: string;
  image: string;
  iqn: string;
  nic: string;
  network: string;
  state: NodeState;
  job: string;
  updated: string;
}

/** A job as the runner needs it to execute its steps. */
export type JobView = Pick<JobRecord, "id" | "kind" | "project" | "node" | "spec" | "created" | "principal">;

/** A bulk job's child that did not succeed: the spec it was given and why it ended. */
export interface ChildFailureRecord {
  jobId: string;
  state: JobState;
  spec: JobSpec;
  error: string;
}
