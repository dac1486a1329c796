import { randomBytes } from "node:crypto";
import { AbortedError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import { assertMember } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { loadLua, type Redis } from "@bmi/redis";
import { validateName } from "@bmi/validate";
import { Script } from "../engine/lua/script";
import type { JobQueries } from "../engine/queries";
import { backoffMs } from "../engine/retry";
import { TERMINAL } from "../engine/types";
import type { Requester } from "../jobs/caller";
import type { JobAccess } from "../jobs/job-access";
import type { Provisioning } from "../jobs/provisioning";
import type { Scheduler } from "../scheduler/scheduler";
import { Timers, type Claimed } from "./timers";

export type LeaseState = "PENDING" | "ACTIVE" | "ENDING" | "ENDED";

export interface LeaseNode {
  node: string;
  image: string;
  network: string;
  rack: string;
  role: string;
  /** What the node's OS is told as its NoCloud user-data (a cluster's role and peers); nodes with the same share a job. */
  userData?: string;
}

/** A lease as kept in Redis (lease:<id>, JSON), changed only by compare-and-set. */
export interface LeaseRecord {
  id: string;
  project: string;
  /** Who made it, as its timers act for them (no credentials: what a resumed job keeps). */
  owner: { user: string; projects: string[]; admin: boolean };
  state: LeaseState;
  start: number;
  end: number;
  deleteDisks: boolean;
  powerCycle: boolean;
  /** The nodes of each start phase, in order (one phase for a plain lease; a cluster's start order). */
  phases: LeaseNode[][];
  startJobs: string[];
  /** The jobs of each start phase made so far (one per distinct user-data of the phase). */
  phaseJobs?: string[][];
  endJobs: Record<string, string>;
  reservation: string;
  created: number;
  ended: number;
  error: string;
  cluster: string;
  /** ending_soon was sent for this end. */
  warned: number;
  /** Nodes whose end job failed and that are still provisioned: the end is retried for them (absent: none). */
  stuck?: Record<string, StuckNode>;
}

/** A node the end has not deprovisioned yet: its last end job failed. */
export interface StuckNode {
  /** End jobs of the node that failed so far. */
  attempts: number;
  /** The last one's error. */
  error: string;
  job: string;
  /** When a new end job is made for it. */
  retryAt: number;
}

export type LeaseEventKind = "created" | "started" | "ending_soon" | "ended" | "extended" | "failed" | "end_failed";
export interface LeaseEventSink { (lease: LeaseRecord, kind: LeaseEventKind, detail?: string): Promise<void> }

export interface LeaseOptions {
  /** "ending soon" this long before the end. */
  warnMs: number;
  /** How often an instance looks for due timers. */
  pollMs: number;
  /** How long a claimed timer is an instance's before another may take it. */
  claimMs: number;
  /** How often an ending or starting lease looks at its jobs again. */
  recheckMs: number;
  /** A node whose end job failed gets a new one after about this long, doubled per failure up to endRetryMaxMs. */
  endRetryBaseMs: number;
  endRetryMaxMs: number;
}

export const DEFAULT_LEASE_OPTIONS: LeaseOptions = {
  warnMs: 300_000, pollMs: 250, claimMs: 30_000, recheckMs: 1000, endRetryBaseMs: 30_000, endRetryMaxMs: 900_000,
};

const CAS = new Script(loadLua(__dirname, "lua/cas"));

export const allNodes = (l: LeaseRecord): LeaseNode[] => l.phases.flat();

/**
 * Leases: nodes held by the scheduler from a start to an end, provisioned at the start (phase by phase) and
 * deprovisioned and released at the end. Start, ending-soon and end are durable timers (timers.ts): an
 * orchestrator's restart or a second instance neither loses nor doubles them, since every action is a
 * compare-and-set of the lease's state and every job it makes has an idempotency key of the lease's.
 */
export class Leases {
  readonly timers: Timers;
  private loop: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly scheduler: Scheduler,
    private readonly provisioning: Provisioning, private readonly queries: JobQueries, private readonly access: JobAccess,
    private readonly emit: LeaseEventSink, private readonly log: Logger, readonly opts: LeaseOptions = DEFAULT_LEASE_OPTIONS) {
    this.timers = new Timers(redis, `${prefix}lease-timers`, opts.claimMs);
  }

  key(id: string): string { return `${this.prefix}lease:${id}`; }
  private index(project: string): string { return `${this.prefix}leases:${project}`; }

  static newId(): string {
    return `l${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  }

  /** Records a lease whose nodes are already reserved (reservation); arms its timers. */
  async create(l: LeaseRecord): Promise<LeaseRecord> {
    const m = this.redis.multi();
    m.set(this.key(l.id), JSON.stringify(l), "NX");
    m.zadd(this.index(l.project), l.created, l.id);
    m.zadd(this.timers.key, l.start, `${l.id}|start`, this.warnAt(l), `${l.id}|warn`, l.end, `${l.id}|end`);
    await m.exec();
    await this.emit(l, "created");
    this.poke();
    return l;
  }

  async get(id: string): Promise<{ raw: string; lease: LeaseRecord } | undefined> {
    const raw = await this.redis.get(this.key(id));
    return raw === null ? undefined : { raw, lease: JSON.parse(raw) as LeaseRecord };
  }

  /** The lease if the caller may see it; NOT_FOUND otherwise (another project's lease is not told apart). */
  async visible(who: Requester, id: string): Promise<LeaseRecord> {
    if (!/^[a-z0-9]{1,40}$/.test(id)) throw new InvalidArgumentError(`lease id ${JSON.stringify(id)} is invalid`);
    const got = await this.get(id);
    if (!got || !(who.admin || who.projects.includes(got.lease.project))) throw new NotFoundError(`lease ${id} not found`);
    return got.lease;
  }

  async list(who: Requester, project: string): Promise<LeaseRecord[]> {
    const projects = project ? [project] : who.admin ? await this.allProjects() : who.projects;
    if (project) assertMember(who, validateName("project", project), `project ${project}`);
    const ids = (await Promise.all(projects.map((p) => this.redis.zrevrange(this.index(p), 0, 999)))).flat();
    const raws = ids.length === 0 ? [] : await this.redis.mget(ids.map((i) => this.key(i)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as LeaseRecord).sort((a, b) => b.created - a.created);
  }

  private async allProjects(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await this.redis.scan(cursor, "MATCH", `${this.prefix}leases:*`, "COUNT", 500);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    return keys.map((k) => k.slice(`${this.prefix}leases:`.length));
  }

  /** Extend or shorten; an end already past ends it now. */
  async setEnd(who: Requester, id: string, end: number): Promise<LeaseRecord> {
    await this.visible(who, id);
    if (!Number.isFinite(end) || end <= 0) throw new InvalidArgumentError("the new end is required");
    return this.mutate(id, async (l) => {
      if (l.state === "ENDING" || l.state === "ENDED") throw new FailedPreconditionError(`lease ${id} is ${l.state.toLowerCase()}`);
      const newEnd = Math.max(end, Date.now());
      if (newEnd <= l.start) throw new InvalidArgumentError(`lease ${id} starts at ${new Date(l.start).toISOString()}: it cannot end before`);
      await this.scheduler.reschedule(l.reservation, l.start, newEnd);
      const longer = newEnd > l.end;
      return { ...l, end: newEnd, ...(longer ? { warned: 0 } : {}) };
    }, async (l, before) => {
      await this.redis.zadd(this.timers.key, l.end, `${l.id}|end`, this.warnAt(l), `${l.id}|warn`);
      if (l.end !== before.end) await this.emit(l, "extended", `end ${new Date(before.end).toISOString()} -> ${new Date(l.end).toISOString()}`);
      this.poke();
    });
  }

  async endNow(who: Requester, id: string): Promise<LeaseRecord> {
    const l = await this.visible(who, id);
    if (l.state === "ENDING" || l.state === "ENDED") return l;
    if (l.state === "ACTIVE") return this.setEnd(who, id, Date.now());
    // Not started: it never will; its end comes now (nothing to deprovision, its reservation goes).
    const now = Date.now();
    const ended = await this.mutate(id, async (x) => (x.state === "PENDING" ? { ...x, state: "ENDING", end: now } : x));
    if (ended.state !== "ENDING") return this.endNow(who, id);
    await this.timers.clear(`${id}|start`);
    await this.timers.set(`${id}|end`, now);
    this.poke();
    return ended;
  }

  /** Runs the timer loop of this instance. */
  start(): void {
    if (this.loop) return;
    this.loop = setInterval(() => this.poke(), this.opts.pollMs);
    this.poke();
  }

  async stop(): Promise<void> {
    if (this.loop) clearInterval(this.loop);
    this.loop = undefined;
    await this.running;
  }

  /** Looks for due timers now (once at a time per instance). */
  poke(): void {
    if (this.running || !this.loop) return;
    this.running = this.tick().catch((err: Error) => this.log.warn({ err: err.message }, "lease timers"))
      .finally(() => { this.running = undefined; });
  }

  private async tick(): Promise<void> {
    for (;;) {
      const due = await this.timers.claim();
      if (due.length === 0) return;
      await Promise.all(due.map((c) => this.fire(c)));
    }
  }

  private async fire(c: Claimed): Promise<void> {
    const [id, kind] = c.member.split("|");
    try {
      const got = await this.get(id ?? "");
      if (!got) return await this.timers.done(c);
      const next = kind === "start" ? await this.onStart(got.lease) : kind === "end" ? await this.onEnd(got.lease) : await this.onWarn(got.lease);
      if (next === undefined) await this.timers.done(c);
      else await this.timers.again(c, next);
    } catch (err) {
      // Left claimed: another pass (here or in another instance) takes it again when the claim passes.
      this.log.warn({ lease: id, timer: kind, err: (err as Error).message }, "lease timer failed; retried later");
      await this.timers.again(c, Date.now() + this.opts.recheckMs).catch(() => undefined);
    }
  }

  /** undefined: done; a number: look again then. */
  private async onStart(l: LeaseRecord): Promise<number | undefined> {
    if (l.state === "PENDING") {
      l = await this.mutate(l.id, async (x) => (x.state === "PENDING" ? { ...x, state: "ACTIVE" } : x),
        async (x, before) => { if (before.state === "PENDING") await this.emit(x, "started"); });
    }
    if (l.state !== "ACTIVE") return undefined;
    const made = l.phaseJobs ?? [];
    const phase = made.length;
    for (const id of made[phase - 1] ?? []) {
      const job = await this.queries.job(id);
      if (job && !TERMINAL.has(job.state)) return Date.now() + this.opts.recheckMs;
    }
    if (phase >= l.phases.length) return undefined;
    const groups = new Map<string, LeaseNode[]>();
    for (const n of l.phases[phase] ?? []) groups.set(n.userData ?? "", [...(groups.get(n.userData ?? "") ?? []), n]);
    const who = this.who(l);
    const jobs: string[] = [];
    for (const [i, [userData, nodes]] of [...groups.entries()].entries()) {
      const job = await this.provisioning.bulk(who, l.project, {
        specs: nodes.map((n) => ({ node: n.node, image: n.image, ...(n.network ? { network: n.network } : {}) })),
        maxParallel: 0, minSuccess: 0,
        options: { powerCycle: l.powerCycle, waitForBoot: l.powerCycle, bootTimeoutSeconds: 0, ...(userData ? { userData } : {}) },
      }, `lease-${l.id}-start-${phase}-${i}`);
      jobs.push(job.id);
    }
    await this.mutate(l.id, async (x) => ((x.phaseJobs ?? []).length === phase
      ? { ...x, phaseJobs: [...(x.phaseJobs ?? []), jobs], startJobs: [...x.startJobs, ...jobs] } : x));
    return Date.now() + this.opts.recheckMs;
  }

  private async onWarn(l: LeaseRecord): Promise<number | undefined> {
    if ((l.state === "PENDING" || l.state === "ACTIVE") && l.warned !== l.end) {
      await this.mutate(l.id, async (x) => ({ ...x, warned: x.end }), async (x, before) => {
        if (before.warned !== x.end) await this.emit(x, "ending_soon", `ends ${new Date(x.end).toISOString()}`);
      });
    }
    return undefined;
  }

  private async onEnd(l: LeaseRecord): Promise<number | undefined> {
    if (l.state === "ENDED") return undefined;
    if (l.state !== "ENDING") {
      if (Date.now() < l.end) return l.end;
      l = await this.mutate(l.id, async (x) => (x.state === "ENDED" ? x : { ...x, state: "ENDING" }));
      if (l.state === "ENDED") return undefined;
      await this.timers.clear(`${l.id}|start`);
    }
    const who = this.who(l);
    let waiting = false;
    // A start still provisioning is cancelled first: its nodes are then deprovisioned like the rest.
    for (const id of l.startJobs) {
      const job = await this.queries.job(id);
      if (job && !TERMINAL.has(job.state)) {
        waiting = true;
        await this.access.cancel(who, id).catch(() => undefined);
      }
    }
    if (waiting) return Date.now() + this.opts.recheckMs;
    const made: Record<string, string> = {};
    const stuck = await this.stuckNodes(l);
    let retryAt = Infinity;
    for (const n of allNodes(l)) {
      const jobId = l.endJobs[n.node];
      const again = stuck[n.node];
      // An end job that has not failed (still running, or done): nothing to do for the node but wait.
      if (jobId && again?.job !== jobId) {
        const job = await this.queries.job(jobId);
        if (job && !TERMINAL.has(job.state)) waiting = true;
        continue;
      }
      if (!jobId && !(await this.provisionedHere(l, n.node))) continue;
      if (again && Date.now() < again.retryAt) {
        retryAt = Math.min(retryAt, again.retryAt);
        continue;
      }
      // Each try has its own key: the failed job of the last one is not answered again.
      const key = `lease-${l.id}-end-${n.node}${again ? `-${again.attempts + 1}` : ""}`;
      try {
        const job = await this.provisioning.deprovision(who, l.project, n.node, l.deleteDisks, true, key);
        made[n.node] = job.id;
        waiting = true;
      } catch (err) {
        // A job on the node (a user's own, or one finishing): its turn comes first.
        if (!(err instanceof FailedPreconditionError || err instanceof AbortedError)) throw err;
        waiting = true;
      }
    }
    const same = JSON.stringify(stuck) === JSON.stringify(l.stuck ?? {});
    if (Object.keys(made).length > 0 || !same) {
      await this.mutate(l.id, async (x) => ({ ...x, endJobs: { ...x.endJobs, ...made }, stuck }), async (x, before) => {
        const failed = Object.entries(x.stuck ?? {}).filter(([node, s]) => before.stuck?.[node]?.job !== s.job);
        if (failed.length > 0) {
          await this.emit(x, "end_failed", failed.map(([node, s]) =>
            `${node} not deprovisioned (end job ${s.job} failed, try ${s.attempts}): ${s.error}; tried again ${new Date(s.retryAt).toISOString()}`).join("; "));
        }
      });
    }
    if (waiting) return Date.now() + this.opts.recheckMs;
    // Nodes are stuck: the durable end timer comes back when the first of them is due again.
    if (retryAt !== Infinity) return retryAt;
    await this.scheduler.release(l.reservation);
    await this.mutate(l.id, async (x) => (x.state === "ENDED" ? x : { ...x, state: "ENDED", ended: Date.now() }),
      async (x, before) => { if (before.state !== "ENDED") await this.emit(x, "ended"); });
    await this.timers.clear(`${l.id}|warn`);
    return undefined;
  }

  /**
   * The lease's nodes whose end job is over and that are still provisioned in its project: the job failed (or was
   * cancelled). A node keeps its entry (attempts, next try) while a later end job runs and until one deprovisions it.
   */
  private async stuckNodes(l: LeaseRecord): Promise<Record<string, StuckNode>> {
    const stuck: Record<string, StuckNode> = {};
    for (const n of allNodes(l)) {
      const jobId = l.endJobs[n.node];
      if (!jobId) continue;
      const job = await this.queries.job(jobId);
      const was = l.stuck?.[n.node];
      if (job && !TERMINAL.has(job.state)) {
        if (was) stuck[n.node] = was; // being tried again: its count goes on
        continue;
      }
      if (!(await this.provisionedHere(l, n.node))) continue;
      if (was?.job === jobId) {
        stuck[n.node] = was;
        continue;
      }
      const attempts = (was?.attempts ?? 0) + 1;
      const policy = { maxAttempts: Infinity, baseMs: this.opts.endRetryBaseMs, maxMs: this.opts.endRetryMaxMs };
      stuck[n.node] = { attempts, error: job?.error || `end job ${jobId} ${job ? job.state.toLowerCase() : "is gone"}`, job: jobId,
        retryAt: Date.now() + backoffMs(policy, attempts) };
    }
    return stuck;
  }

  private async provisionedHere(l: LeaseRecord, node: string): Promise<boolean> {
    const prov = await this.queries.provisioned(node);
    return prov !== undefined && prov.project === l.project;
  }

  private who(l: LeaseRecord): Requester {
    return { ...l.owner, authorization: "" };
  }

  private warnAt(l: LeaseRecord): number {
    return Math.max(l.start, l.end - this.opts.warnMs);
  }

  /** Compare-and-set over the lease's JSON; `after` runs once with the written record and the one it replaced. */
  async mutate(id: string, change: (l: LeaseRecord) => Promise<LeaseRecord>,
    after?: (l: LeaseRecord, before: LeaseRecord) => Promise<void>): Promise<LeaseRecord> {
    for (let i = 0; i < 20; i++) {
      const got = await this.get(id);
      if (!got) throw new NotFoundError(`lease ${id} not found`);
      const next = await change(got.lease);
      if (next === got.lease) return next;
      if (Number(await CAS.run(this.redis, [this.key(id), got.raw, JSON.stringify(next)])) === 1) {
        if (after) await after(next, got.lease);
        return next;
      }
    }
    throw new AbortedError(`lease ${id} changed under every attempt: retry`);
  }
}
