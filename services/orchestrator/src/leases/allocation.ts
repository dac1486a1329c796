import { BmiError, InvalidArgumentError } from "@bmi/errors";
import { assertMember } from "@bmi/grpc";
import { validateName } from "@bmi/validate";
import type { JobRecord } from "../engine/types";
import type { Requester } from "../jobs/caller";
import { validateImageRef, validateOptions, type ProvisionOptions } from "../jobs/inputs";
import type { Provisioning } from "../jobs/provisioning";
import { estimate, nodeQuota } from "../scheduler/plan";
import type { Reservation, Scheduler } from "../scheduler/scheduler";
import { Leases, type LeaseNode, type LeaseRecord } from "./leases";

/** Which nodes a request wants. */
export interface NodeAsk { count: number; minCount: number; selector: string; placement: string }

/** A plan: what a request would take and do, computed without changing anything. */
export interface PlanView {
  nodes: LeaseNode[];
  quota: { limit?: number; used: number; after: number };
  problems: string[];
  estimate: { seconds: number; basis: string };
}

/** Says why an image cannot be used by the project (undefined: it can), asked on the caller's behalf. */
export type ImageCheck = (who: Requester, project: string, image: string) => Promise<string | undefined>;

export interface BulkAsk {
  image: string;
  network: string;
  maxParallel: number;
  minSuccess: number;
  allOrNothing: boolean;
  options: ProvisionOptions;
}

export interface LeaseAsk {
  project: string;
  nodes: NodeAsk;
  image: string;
  network: string;
  start: number;
  end: number;
  deleteDisks: boolean;
  powerCycle: boolean;
}

export const MAX_LEASE_MS = 366 * 24 * 3600_000;

/** Leases as requests make them (and dry runs of them): validation, the scheduler's pick, the record. */
export class Allocation {
  constructor(readonly scheduler: Scheduler, readonly leases: Leases, private readonly provisioning: Provisioning,
    private readonly checkImage: ImageCheck, private readonly defaultParallel: number) {}

  /**
   * A bulk job on nodes the scheduler picks: they are reserved for a minute (a transient reservation), the job is
   * made (its node locks hold them from then on), and the reservation goes. A dry run answers the plan only.
   */
  async allocateBulk(who: Requester, project: string, ask: NodeAsk, bulk: BulkAsk, key: string, dryRun: boolean):
    Promise<{ job?: JobRecord; plan?: PlanView }> {
    assertMember(who, validateName("project", project), `project ${project}`);
    validateImageRef(bulk.image);
    if (bulk.network) validateName("network", bulk.network);
    validateOptions(bulk.options);
    if (dryRun) {
      return { plan: await this.plan(who, project, [{ ask, image: bulk.image, network: bulk.network, role: "" }],
        Math.min(ask.count, bulk.maxParallel || this.defaultParallel), bulk.options.powerCycle, { transient: true }) };
    }
    const r = await this.scheduler.reserve(who, this.request(project, ask, { transient: true }, "bulk", false));
    try {
      const specs = r.nodes.map((node) => ({ node, image: bulk.image, ...(bulk.network ? { network: bulk.network } : {}) }));
      return { job: await this.provisioning.bulk(who, project, { specs, maxParallel: bulk.maxParallel, minSuccess: bulk.minSuccess,
        allOrNothing: bulk.allOrNothing, options: bulk.options }, key) };
    } finally {
      await this.scheduler.release(r.id);
    }
  }

  /**
   * What the request would take now: the scheduler's pick (dry), the images checked, the quota before and after,
   * the time estimate. Nothing is taken; a pick that would fail is a problem in the plan, not an error.
   */
  async plan(who: Requester, project: string, parts: Array<{ ask: NodeAsk; image: string; network: string; role: string; phase?: number }>,
    parallel: number, boot: boolean, window: { transient?: boolean; start?: number; end?: number; id?: string }): Promise<PlanView> {
    const nodes: LeaseNode[] = [];
    const problems: string[] = [];
    const taken = new Set<string>();
    for (const p of parts) {
      try {
        // A dry pick takes nothing: the roles before this one are left out by name.
        // The quota is the plan's own line below, for all the parts together.
        const r = await this.scheduler.preview(who, { ...this.request(project, p.ask, window, "plan", false), exclude: [...taken] });
        for (const n of r.nodes) {
          taken.add(n);
          nodes.push({ node: n, image: p.image, network: p.network, rack: r.racks[n] ?? "", role: p.role });
        }
      } catch (err) {
        if (!(err instanceof BmiError)) throw err;
        problems.push(`${p.role ? `role ${p.role}: ` : ""}${err.message}`);
      }
      const why = await this.checkImage(who, project, p.image);
      if (why) problems.push(why);
    }
    const q = await nodeQuota(this.scheduler.redis, this.scheduler.prefix, project);
    const after = q.used + nodes.length;
    if (q.limit !== undefined && after > q.limit) problems.push(`quota nodes of project ${project}: ${q.used} of ${q.limit} in use, ${nodes.length} more requested`);
    const phases = new Map<number, number>();
    for (const p of parts) phases.set(p.phase ?? 0, (phases.get(p.phase ?? 0) ?? 0) + p.ask.count);
    return { nodes, quota: { ...q, after }, problems: [...new Set(problems)], estimate: estimate([...phases.values()], parallel, boot) };
  }

  request(project: string, ask: NodeAsk, window: { transient?: boolean; start?: number; end?: number; id?: string }, owner: string, quota: boolean) {
    return {
      project, owner, count: ask.count, minCount: ask.minCount, selector: ask.selector, placement: ask.placement,
      ...(window.id ? { id: window.id } : {}), ...(window.start ? { start: window.start } : {}), end: window.end ?? 0,
      ...(window.transient ? { transientMs: 60_000 } : {}), quota,
    };
  }

  validateWindow(start: number, end: number): void {
    const now = Date.now();
    if (!Number.isFinite(end) || end <= 0) throw new InvalidArgumentError("a lease needs an end (or a duration)");
    if (start > now + MAX_LEASE_MS) throw new InvalidArgumentError("a lease starts within a year");
    if (end <= Math.max(start, now)) throw new InvalidArgumentError("a lease must end after it starts and after now");
    if (end - start > MAX_LEASE_MS) throw new InvalidArgumentError("a lease lasts at most a year");
  }

  async createLease(who: Requester, ask: LeaseAsk, dryRun: boolean): Promise<{ lease?: LeaseRecord; plan?: PlanView }> {
    assertMember(who, validateName("project", ask.project), `project ${ask.project}`);
    validateImageRef(ask.image);
    if (ask.network) validateName("network", ask.network);
    const start = Math.max(ask.start || Date.now(), Date.now());
    this.validateWindow(start, ask.end);
    if (dryRun) {
      return { plan: await this.plan(who, ask.project, [{ ask: ask.nodes, image: ask.image, network: ask.network, role: "" }],
        this.defaultParallel, ask.powerCycle, { start, end: ask.end }) };
    }
    const id = Leases.newId();
    const r = await this.scheduler.reserve(who, this.request(ask.project, ask.nodes, { start, end: ask.end }, `lease ${id}`, true));
    const nodes = r.nodes.map((n) => ({ node: n, image: ask.image, network: ask.network, rack: r.racks[n] ?? "", role: "" }));
    return { lease: await this.record(who, id, ask.project, r, [nodes], ask.deleteDisks, ask.powerCycle, "") };
  }

  /** Records a lease over a reservation made for it; the reservation is let go if that fails. */
  async record(who: Requester, id: string, project: string, r: Reservation, phases: LeaseNode[][], deleteDisks: boolean,
    powerCycle: boolean, cluster: string): Promise<LeaseRecord> {
    const lease: LeaseRecord = {
      id, project, owner: { user: who.user, projects: who.projects, admin: who.admin }, state: "PENDING", start: r.start, end: r.end,
      deleteDisks, powerCycle, phases, startJobs: [], endJobs: {}, reservation: r.id, created: Date.now(), ended: 0, error: "",
      cluster, warned: 0,
    };
    try {
      return await this.leases.create(lease);
    } catch (err) {
      await this.scheduler.release(r.id).catch(() => undefined);
      throw err;
    }
  }
}
