import type { Redis } from "@bmi/redis";
import type { EventBody } from "./events";
import { Keys } from "./keys";
import type { SlotRef, SlotRequest } from "./limiter";
import type { Script } from "./lua/script";
import { SCRIPTS as S } from "./lua/scripts";
import { jobRecord } from "./queries";
import type { JobKind, JobRecord, JobSpec, JobState, ProvisionedRecord, StepRecord } from "./types";

export type { EventBody } from "./events";

export interface NewJob {
  id: string;
  kind: JobKind;
  project: string;
  node: string;
  parent: string;
  spec: JobSpec;
  steps: StepRecord[];
  principal: string;
  idempotencyKey: string;
  total: number;
  maxParallel: number;
  minSuccess: number;
  /** new: the node must not be provisioned; existing: its record must still name provExpect's job; none. */
  provMode: "new" | "existing" | "none";
  provExpect: string;
  /** Written to the node's provisioned record at creation (PROVISIONING, DEPROVISIONING). */
  prov?: Partial<ProvisionedRecord>;
}

export interface CreateRequest {
  project: string;
  idempotency?: { key: string; hash: string; ttlMs: number };
  jobs: NewJob[];
}

export interface TransitionOp {
  expect: JobState[];
  state?: JobState;
  steps?: StepRecord[];
  events?: EventBody[];
  /** Limiter slots the writer held for the step it ran: released by this write, whatever its answer. */
  release?: SlotRef[];
  /** The limiter slot of the step this write starts (transition only): taken, or waited for (`admitted` false). */
  acquire?: SlotRequest;
}

export interface FinishOp extends TransitionOp {
  state: JobState;
  error: string;
  prov: "restore" | "del" | "keep" | { set: Partial<ProvisionedRecord> };
  disks?: { add?: { disk: string; image: string }; rem?: string };
}

/** 'OK', or why the write was refused: FENCED (lease lost), GONE, or the job's unexpected state. */
export type WriteResult = "OK" | "FENCED" | "GONE" | JobState;

export interface Lease { id: string; fence: number }

/** A lease just claimed, with the job as the claim found it (undefined: gone meanwhile). */
export interface Claimed extends Lease { job: JobRecord | undefined }

/**
 * Room for one job in an instance's worker, asked for before a create: the create script claims the new job for
 * `instance` and `adopt` runs it at once (undefined: nothing was claimed, the room goes back). Called exactly once.
 */
export interface ClaimTicket {
  instance: string;
  leaseMs: number;
  adopt(claimed: Claimed | undefined): void;
}

/** Where a create finds room to run the job it makes (the engine's worker). */
export interface Claimer {
  ticket(): ClaimTicket | undefined;
}

/** Every write of the engine, each one atomic (a Lua script). Reads are in JobQueries. */
export class JobStore {
  readonly keys: Keys;
  private readonly listeners: Array<(ended: boolean) => void> = [];
  /** Set by the engine: a single job made here is claimed by the create script and run by this instance at once. */
  claimer: Claimer | undefined;

  constructor(readonly redis: Redis, readonly prefix: string, private readonly retentionMs: number) {
    this.keys = new Keys(prefix);
  }

  /** Runs a script built on lua/common.lua (key prefix, clock and retention first, then `args`). */
  run(script: Script, args: Array<string | number>): Promise<unknown> {
    const now = new Date();
    return script.run(this.redis, [this.prefix, now.toISOString(), now.getTime(), this.retentionMs, ...args]);
  }

  /**
   * Answers the first job (or the existing one an idempotency key names) as the script left it. A new job that runs
   * on its own (not a bulk job) is claimed in the same script when this instance's worker has room, and starts
   * at once (`claimed`): no claim round trip, no wait for the worker's next claim.
   */
  async create(req: CreateRequest): Promise<{ id: string; existing: boolean; job: JobRecord | undefined; claimed: boolean }> {
    const one = req.jobs.length === 1 && req.jobs[0]!.kind !== "BULK" && req.jobs[0]!.parent === "";
    const ticket = one ? this.claimer?.ticket() : undefined;
    const doc = {
      project: req.project,
      ...(req.idempotency ? { idem: req.idempotency } : {}),
      ...(ticket ? { claim: { instance: ticket.instance, lease: ticket.leaseMs } } : {}),
      jobs: req.jobs.map((j) => ({
        id: j.id, kind: j.kind, project: j.project, node: j.node, parent: j.parent, spec: JSON.stringify(j.spec),
        plan: j.steps.map((s) => s.name), steps: j.steps.map((s) => JSON.stringify(s)), auth: j.principal,
        idem: j.idempotencyKey, total: j.total, maxpar: j.maxParallel, minsucc: j.minSuccess,
        provmode: j.provMode, provexpect: j.provExpect, ...(j.prov ? { prov: j.prov } : {}),
      })),
    };
    let reply: [string, string, string[], string[], string[], number];
    try {
      reply = (await this.run(S.create, [JSON.stringify(doc)])) as typeof reply;
    } catch (err) {
      ticket?.adopt(undefined);
      throw err;
    }
    const [what, id, job, steps, children, fence] = reply;
    const record = jobRecord(pairs(job), pairs(steps), children);
    const claimed = ticket !== undefined && Number(fence) > 0 && record !== undefined;
    ticket?.adopt(claimed ? { id, fence: Number(fence), job: record } : undefined);
    // A job claimed here needs no worker to look for it; the relay has its created event either way.
    this.notify(!claimed);
    return { id, existing: what === "EXISTING", job: record, claimed };
  }

  async claim(instance: string, leaseMs: number, max: number): Promise<Claimed[]> {
    const flat = (await this.run(S.claim, [instance, leaseMs, max])) as Array<string | number | string[]>;
    const out: Claimed[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      const job = jobRecord(pairs(flat[i + 2] as string[]), pairs(flat[i + 3] as string[]), flat[i + 4] as string[]);
      out.push({ id: String(flat[i]), fence: Number(flat[i + 1]), job });
    }
    return out;
  }

  /** Extends the leases; answers the ids whose lease was lost. */
  async renew(leaseMs: number, leases: Lease[]): Promise<string[]> {
    if (leases.length === 0) return [];
    return (await this.run(S.renew, [leaseMs, ...leases.flatMap((l) => [l.id, l.fence])])) as string[];
  }

  async release(leases: Lease[]): Promise<void> {
    if (leases.length > 0) await this.run(S.release, leases.flatMap((l) => [l.id, l.fence]));
  }

  /** Called after every write that queued events; `ended` when a job ended (a bulk job may release more). */
  onWrite(listener: (ended: boolean) => void): void {
    this.listeners.push(listener);
  }

  async transition(lease: Lease, op: TransitionOp): Promise<WriteResult> {
    return (await this.transitionAcquire(lease, op)).result;
  }

  /** A transition, and whether it took the slot `op.acquire` asked for (false also when it wrote nothing). */
  async transitionAcquire(lease: Lease, op: TransitionOp): Promise<{ result: WriteResult; admitted: boolean }> {
    const res = (await this.run(S.transition, [lease.id, lease.fence, encodeOp(op)])) as WriteResult | "OK QUEUED";
    this.notify(false);
    if (res === "OK QUEUED") return { result: "OK", admitted: false };
    return { result: res, admitted: res === "OK" && op.acquire !== undefined };
  }

  async finish(lease: Lease, op: FinishOp): Promise<WriteResult> {
    const res = (await this.run(S.finish, [lease.id, lease.fence, encodeOp(op)])) as WriteResult;
    this.notify(true);
    return res;
  }

  private notify(ended: boolean): void {
    for (const l of this.listeners) l(ended);
  }

  /** Answers the job's state after the request (CANCELLING while its owner undoes what was done). */
  async cancel(id: string, reason: string): Promise<JobState> {
    const state = (await this.run(S.cancel, [id, reason])) as JobState;
    this.notify(true);
    return state;
  }

  /** Answers the id of the job the event was joined to, "" if none, "DUP" for a redelivery. */
  async bootSeen(node: string, project: string, phase: string, eventJson: string, dedupe: string): Promise<string> {
    return (await this.run(S.bootSeen, [node, project, phase, eventJson, dedupe])) as string;
  }

  /** The next batch of events to publish; `ackPrevious` drops the batch taken before (it was published). */
  async relayTake(instance: string, max: number, ackPrevious: boolean): Promise<string[]> {
    return (await this.run(S.relayTake, [instance, max, ackPrevious ? "1" : "0"])) as string[];
  }

  /** Heartbeat of this instance; hands dead instances' in-flight events back. Answers how many moved. */
  async relayReap(instance: string, heartbeatMs: number): Promise<number> {
    return Number(await this.run(S.relayReap, [instance, heartbeatMs]));
  }
}

/** A flat [field, value, ...] reply as an object. */
function pairs(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  return o;
}

function encodeOp(op: TransitionOp & Partial<FinishOp>): string {
  const steps: Record<string, string> = {};
  for (const s of op.steps ?? []) steps[s.name] = JSON.stringify(s);
  // cjson turns an empty array into an object and back: harmless for ipairs/pairs.
  return JSON.stringify({ ...op, steps, events: (op.events ?? []).map((e) => JSON.stringify(e)) });
}
