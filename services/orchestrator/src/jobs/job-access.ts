import { FailedPreconditionError, InvalidArgumentError, NotFoundError, ResourceExhaustedError } from "@bmi/errors";
import { validateName } from "@bmi/validate";
import type { JobStore } from "../engine/store";
import type { JobQueries } from "../engine/queries";
import { TERMINAL, type ChildFailureRecord, type JobRecord, type JobState, type ProvisionedRecord } from "../engine/types";
import { assertMember, type Requester } from "./caller";
import { followEvents, type LoggedEvent } from "./watch";

export interface ProvisionedView extends ProvisionedRecord {
  /** Every disk the node has had in the project (re-provision candidates). */
  disks: string[];
}

/** Reading, watching and cancelling jobs, and the provisioned nodes, within what the caller may see. */
export class JobAccess {
  private watchers = 0;
  private readonly perUser = new Map<string, number>();

  /**
   * `maxWatchers` bounds the streams of this instance; `maxPerUser` those of one user (or one service identity
   * speaking for nobody), so that one tenant's runaway script cannot take every stream from the others.
   */
  constructor(private readonly store: JobStore, private readonly queries: JobQueries,
    private readonly maxWatchers: number, private readonly onCancel: () => void = () => undefined,
    private readonly maxPerUser = Math.max(1, Math.ceil(maxWatchers / 4))) {}

  async get(who: Requester, id: string): Promise<JobRecord> {
    const job = isJobId(id) ? await this.queries.job(id) : undefined;
    if (!job) throw new NotFoundError(`job ${id} not found`);
    assertMember(who, job.project, `job ${id}`);
    return job;
  }

  /** A job with, for a bulk job, every child that failed or was cancelled (what a retry of the failed provisions). */
  async getWithFailures(who: Requester, id: string): Promise<{ job: JobRecord; failures: ChildFailureRecord[] }> {
    const job = await this.get(who, id);
    return { job, failures: job.kind === "BULK" ? await this.queries.failures(id) : [] };
  }

  async list(who: Requester, project: string, opts: { state?: JobState; limit: number; includeChildren: boolean }): Promise<JobRecord[]> {
    const projects = project ? [validateName("project", project)] : who.projects;
    if (!project && who.admin && who.projects.length === 0) {
      throw new InvalidArgumentError("project is required (an admin is not tied to one)");
    }
    for (const p of projects) assertMember(who, p, `project ${p}`);
    const limit = opts.limit > 0 ? Math.min(opts.limit, 1000) : 100;
    const lists = await Promise.all(projects.map((p) => this.queries.list(p, { ...opts, limit })));
    return lists.flat().sort((a, b) => b.created.localeCompare(a.created)).slice(0, limit);
  }

  async cancel(who: Requester, id: string): Promise<JobRecord> {
    const job = await this.get(who, id);
    if (TERMINAL.has(job.state)) throw new FailedPreconditionError(`job ${id} already ended ${job.state}`);
    await this.store.cancel(id, `cancelled by ${who.user}`);
    this.onCancel();
    return this.get(who, id);
  }

  /** Every event of a job in order (from its start, or from now), until its finished event. */
  async *watch(who: Requester, id: string, fromStart: boolean, signal: AbortSignal): AsyncGenerator<LoggedEvent> {
    const job = await this.get(who, id);
    if (this.watchers >= this.maxWatchers) throw new ResourceExhaustedError(`too many watchers (${this.maxWatchers})`);
    const key = who.user || `service:${who.service ?? ""}`;
    const mine = this.perUser.get(key) ?? 0;
    if (mine >= this.maxPerUser) {
      throw new ResourceExhaustedError(`user ${who.user} already watches ${mine} jobs (at most ${this.maxPerUser} at once)`);
    }
    this.watchers++;
    this.perUser.set(key, mine + 1);
    try {
      yield* followEvents(this.store.redis, this.store.keys.events(job.id), fromStart, signal,
        async () => TERMINAL.has((await this.queries.state(job.id)) ?? "CANCELLED"));
    } finally {
      this.watchers--;
      const left = (this.perUser.get(key) ?? 1) - 1;
      if (left > 0) this.perUser.set(key, left);
      else this.perUser.delete(key);
    }
  }

  async provisioned(who: Requester, project: string): Promise<ProvisionedView[]> {
    assertMember(who, validateName("project", project), `project ${project}`);
    const recs = await this.queries.provisionedAll(project);
    return Promise.all(recs.map(async (r) => ({ ...r, disks: Object.keys(await this.queries.disksOf(project, r.node)).sort() })));
  }

  /** A node's record if the caller may see it. */
  async provisionedNode(who: Requester, node: string): Promise<ProvisionedView | undefined> {
    const r = await this.queries.provisioned(node);
    if (!r || !(who.admin || who.projects.includes(r.project))) return undefined;
    return { ...r, disks: Object.keys(await this.queries.disksOf(r.project, node)).sort() };
  }
}

function isJobId(id: string): boolean {
  return /^[a-z0-9]{1,40}$/.test(id);
}
