import type { Redis } from "@bmi/redis";
import type { Keys } from "./keys";
import type { StepName } from "./plan";
import type { ChildFailureRecord, JobKind, JobRecord, JobSpec, JobState, ProvisionedRecord, StepRecord } from "./types";

/** Reads of jobs and provisioned nodes. Every read is a snapshot; only JobStore writes. */
export class JobQueries {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async job(id: string): Promise<JobRecord | undefined> {
    const [[, h], [, steps], [, children]] = (await this.redis.multi()
      .hgetall(this.keys.job(id)).hgetall(this.keys.steps(id)).hkeys(this.keys.children(id))
      .exec()) as [[unknown, Record<string, string>], [unknown, Record<string, string>], [unknown, string[]]];
    return jobRecord(h, steps, children);
  }

  /** A bulk job's children that ended FAILED or CANCELLED (one round trip for their records), by node name. */
  async failures(id: string): Promise<ChildFailureRecord[]> {
    const kids = await this.redis.hgetall(this.keys.children(id));
    const ids = Object.keys(kids).filter((c) => kids[c] === "FAILED" || kids[c] === "CANCELLED");
    if (ids.length === 0) return [];
    const res = (await this.redis.pipeline(ids.map((c) => ["hmget", this.keys.job(c), "spec", "error"])).exec()) ?? [];
    return ids.map((jobId, i) => {
      const [spec, error] = (res[i]?.[1] ?? []) as (string | null)[];
      return { jobId, state: kids[jobId] as JobState, spec: JSON.parse(spec ?? "{}") as JobSpec, error: error ?? "" };
    }).sort((a, b) => (a.spec.node ?? "").localeCompare(b.spec.node ?? "") || a.jobId.localeCompare(b.jobId));
  }

  /** Most recent first. Entries whose job expired are dropped from the index on the way. */
  async list(project: string, opts: { state?: JobState; limit: number; includeChildren: boolean }): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    const index = this.keys.jobsOf(project);
    const page = Math.max(opts.limit, 50);
    for (let start = 0; out.length < opts.limit; start += page) {
      const ids = await this.redis.zrevrange(index, start, start + page - 1);
      if (ids.length === 0) break;
      const jobs = await Promise.all(ids.map((id) => this.job(id)));
      const gone = ids.filter((_, i) => jobs[i] === undefined);
      if (gone.length > 0) {
        await this.redis.zrem(index, ...gone);
        start -= gone.length;
      }
      for (const j of jobs) {
        if (!j || (!opts.includeChildren && j.parent !== "") || (opts.state && j.state !== opts.state)) continue;
        out.push(j);
        if (out.length >= opts.limit) break;
      }
    }
    return out;
  }

  async provisioned(node: string): Promise<ProvisionedRecord | undefined> {
    const h = await this.redis.hgetall(this.keys.prov(node));
    return h.node ? toProvisioned(h) : undefined;
  }

  /** The records of these nodes, in their order (one round trip); undefined where a node has none. */
  async provisionedMany(nodes: string[]): Promise<Array<ProvisionedRecord | undefined>> {
    if (nodes.length === 0) return [];
    const res = (await this.redis.pipeline(nodes.map((n) => ["hgetall", this.keys.prov(n)])).exec()) ?? [];
    return res.map(([, h]) => h as Record<string, string>).map((h) => (h?.node ? toProvisioned(h) : undefined));
  }

  /** Every provisioned node, or a project's (one round trip for all records). */
  async provisionedAll(project?: string): Promise<ProvisionedRecord[]> {
    const nodes = (await this.redis.smembers(this.keys.provNodes)).sort();
    if (nodes.length === 0) return [];
    const res = (await this.redis.pipeline(nodes.map((n) => ["hgetall", this.keys.prov(n)])).exec()) ?? [];
    return res.map(([, h]) => h as Record<string, string>)
      .filter((h) => h.node && (!project || h.project === project)).map(toProvisioned);
  }

  /** The disks a node has had in a project (disk -> image), candidates for re-provisioning. */
  async disksOf(project: string, node: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.provDisks(project, node));
  }

  /** The job holding a node's lock, if any. */
  async lockHolder(node: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.lock(node))) ?? undefined;
  }

  /** The last boot phase seen for a node and when (ms), from any instance. */
  async lastBoot(node: string): Promise<{ phase: string; seen: number; project: string } | undefined> {
    const h = await this.redis.hgetall(this.keys.nodeBoot(node));
    return h.phase ? { phase: h.phase, seen: Number(h.seen ?? 0), project: h.project ?? "" } : undefined;
  }

  async state(id: string): Promise<JobState | undefined> {
    return ((await this.redis.hget(this.keys.job(id), "state")) ?? undefined) as JobState | undefined;
  }
}

/** A job as Redis holds it (its hash, its steps' hash, its children's ids), or undefined when it is gone. */
export function jobRecord(h: Record<string, string>, steps: Record<string, string>, children: string[]): JobRecord | undefined {
  if (!h.id) return undefined;
  // Written by this code from plan.ts: a name the steps do not know fails when the step runs ("no step ...").
  const plan = (h.plan ? h.plan.split(",") : []) as StepName[];
  return {
    id: h.id, kind: h.kind as JobKind, project: h.project ?? "", state: h.state as JobState, node: h.node ?? "",
    error: h.error ?? "", created: h.created ?? "", updated: h.updated ?? "", finished: h.finished ?? "",
    parent: h.parent ?? "", idempotencyKey: h.idem ?? "", spec: JSON.parse(h.spec ?? "{}") as JobSpec,
    steps: plan.map((name) => parseStep(name, steps[name])),
    childIds: children,
    total: Number(h.total ?? 0), succeeded: Number(h.succeeded ?? 0), failed: Number(h.failed ?? 0),
    cancelled: Number(h.cancelled ?? 0), fence: Number(h.fence ?? 0), owner: h.owner ?? "",
    principal: h.auth ?? "", nodeFence: Number(h.nfence ?? 0), cancelReason: h.cancelreq ?? "",
  };
}

function parseStep(name: StepName, raw: string | undefined): StepRecord {
  if (!raw) return { name, state: "PENDING", attempts: 0, error: "", outputs: {}, secrets: {} };
  const s = JSON.parse(raw) as StepRecord;
  // cjson writes an empty object as an empty array.
  return { ...s, name, outputs: asMap(s.outputs), secrets: asMap(s.secrets) };
}

function asMap(v: unknown): Record<string, string> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {};
}

function toProvisioned(h: Record<string, string>): ProvisionedRecord {
  return {
    project: h.project ?? "", node: h.node ?? "", disk: h.disk ?? "", image: h.image ?? "", iqn: h.iqn ?? "",
    nic: h.nic ?? "", network: h.network ?? "", state: (h.state ?? "FAILED") as ProvisionedRecord["state"],
    job: h.job ?? "", updated: h.updated ?? "",
  };
}
