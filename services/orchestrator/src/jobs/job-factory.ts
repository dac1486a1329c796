import { randomBytes } from "node:crypto";
import { planFor } from "../engine/plan";
import type { NewJob } from "../engine/store";
import type { JobKind, JobSpec, StepRecord } from "../engine/types";

/** Job ids sort by creation time and are valid names (they appear in NATS subjects and Redis keys). */
export function newJobId(): string {
  return `j${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

/** The first records of a job's steps: skipped ones are decided now, from the spec. */
export function initialSteps(kind: JobKind, spec: JobSpec): StepRecord[] {
  return planFor(kind).map((p) => ({
    name: p.name, state: p.skip?.(spec) ? "SKIPPED" : "PENDING", attempts: 0, error: "", outputs: {}, secrets: {},
  }));
}

/** A single-node job with everything the engine stores; `extra` sets what differs by kind. */
export function nodeJob(kind: JobKind, project: string, node: string, spec: JobSpec, principal: string,
  extra: Pick<NewJob, "provMode" | "provExpect"> & Partial<NewJob>): NewJob {
  return {
    id: newJobId(), kind, project, node, parent: "", spec, steps: initialSteps(kind, spec), principal,
    idempotencyKey: "", total: 0, maxParallel: 0, minSuccess: 0, ...extra,
  };
}

/** A disk name for a node's next clone: the node's name and a counter, within the 63 characters of a name. */
export function diskName(node: string, seq: number): string {
  const suffix = `-${seq}`;
  return node.slice(0, 63 - suffix.length).replace(/[._-]+$/, "") + suffix;
}

/** `seq`, or one past the highest of the node's disk names in `taken` when that is higher. */
export function nextDiskSeq(node: string, seq: number, taken: string[]): number {
  const held = taken.map((name) => Number(/-(\d+)$/.exec(name)?.[1] ?? 0)).filter((n, i) => n > 0 && diskName(node, n) === taken[i]);
  return Math.max(seq, ...held.map((n) => n + 1));
}
