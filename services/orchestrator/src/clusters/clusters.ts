import { randomBytes } from "node:crypto";
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import { assertMember } from "@bmi/grpc";
import type { Redis } from "@bmi/redis";
import { validateName } from "@bmi/validate";
import type { Requester } from "../jobs/caller";
import type { Provisioning } from "../jobs/provisioning";
import { Allocation, MAX_LEASE_MS, type PlanView } from "../leases/allocation";
import { Leases, allNodes, type LeaseNode, type LeaseRecord } from "../leases/leases";
import { parseTemplate, type RoleTemplate } from "./template";

/** A role as the cluster runs it: the template's role, its count now and its nodes. */
export interface RoleRecord extends RoleTemplate { nodes: string[] }

/** A cluster (cluster:<project>:<name>, JSON): a template's roles on the nodes of one lease. */
export interface ClusterRecord {
  name: string;
  project: string;
  template: string;
  roles: RoleRecord[];
  lease: string;
  created: number;
  deleting: boolean;
  /**
   * The cluster's shared secret (64 hex digits, made at `cluster up`): every node's user-data carries it as
   * `cluster_secret` (the Slurm image's munge key). Like a CHAP secret it stays in Redis and reaches only the nodes,
   * through their user-data, which boot-service serves to each node alone: not in GetCluster's node_metadata, the
   * lease (leaseToProto names the nodes only), jobs (jobToProto has no spec), events, audit records or logs.
   * Absent in clusters made before it existed.
   */
  secret?: string;
}

/**
 * What a cluster's node is told about itself (GetCluster's node_metadata; the per-node metadata boot-service serves
 * once provisioning carries it): its cluster, its role, its role's metadata, and its peers by role.
 */
export function nodeMetadata(c: ClusterRecord): Record<string, Record<string, string>> {
  const peers = JSON.stringify(Object.fromEntries(c.roles.map((r) => [r.name, r.nodes])));
  const out: Record<string, Record<string, string>> = {};
  for (const r of c.roles) for (const n of r.nodes) out[n] = { ...r.metadata, cluster: c.name, role: r.name, peers };
  return out;
}

/**
 * The user-data every node of `role` is given: its cluster metadata and the cluster's secret (`cluster_secret`) as
 * JSON (the same for the whole role).
 */
export function roleUserData(c: ClusterRecord, role: string): string {
  const r = c.roles.find((x) => x.name === role);
  const first = r?.nodes[0];
  return first ? JSON.stringify({ ...nodeMetadata(c)[first], ...(c.secret ? { cluster_secret: c.secret } : {}) }) : "";
}

/** Turn-key clusters: a template becomes one lease whose roles start in their order; scale, down, show. */
export class Clusters {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly alloc: Allocation,
    private readonly leases: Leases, private readonly provisioning: Provisioning) {}

  private key(project: string, name: string): string { return `${this.prefix}cluster:${project}:${name}`; }

  async create(who: Requester, project: string, name: string, templateText: string, end: number, powerCycle: boolean, dryRun: boolean):
    Promise<{ cluster?: ClusterRecord; lease?: LeaseRecord; plan?: PlanView }> {
    assertMember(who, validateName("project", project), `project ${project}`);
    validateName("cluster", name);
    const t = parseTemplate(templateText);
    const start = Date.now();
    const stop = end || start + MAX_LEASE_MS;
    this.alloc.validateWindow(start, stop);
    const orders = [...new Set(t.roles.map((r) => r.order))].sort((a, b) => a - b);
    const phaseOf = (r: RoleTemplate) => orders.indexOf(r.order);
    const parts = t.roles.map((r) => ({ ask: { count: r.count, minCount: 0, selector: r.selector, placement: r.placement },
      image: r.image, network: r.network, role: r.name, phase: phaseOf(r) }));
    if (dryRun) return { plan: await this.alloc.plan(who, project, parts, 8, powerCycle, { start, end: stop }) };
    if (await this.redis.exists(this.key(project, name))) throw new AlreadyExistsError(`cluster ${name} already exists in project ${project}`);
    const id = Leases.newId();
    const resId = `c${id}`;
    const phases: LeaseNode[][] = orders.map(() => []);
    const roles: RoleRecord[] = [];
    try {
      for (const [i, r] of t.roles.entries()) {
        const part = parts[i]!;
        const got = await this.alloc.scheduler.reserve(who, this.alloc.request(project, part.ask, { start, end: stop, id: resId }, `cluster ${name}`, true))
          .catch((err: Error) => { throw Object.assign(err, { message: `role ${r.name}: ${err.message}` }); });
        roles.push({ ...r, nodes: got.nodes });
        phases[part.phase]!.push(...got.nodes.map((n) => ({ node: n, image: r.image, network: r.network, rack: got.racks[n] ?? "", role: r.name })));
      }
    } catch (err) {
      await this.alloc.scheduler.release(resId);
      throw err;
    }
    const cluster: ClusterRecord = { name, project, template: t.name, roles, lease: id, created: start, deleting: false,
      secret: randomBytes(32).toString("hex") };
    for (const p of phases) for (const n of p) n.userData = roleUserData(cluster, n.role);
    if ((await this.redis.set(this.key(project, name), JSON.stringify(cluster), "NX")) === null) {
      await this.alloc.scheduler.release(resId);
      throw new AlreadyExistsError(`cluster ${name} already exists in project ${project}`);
    }
    const lease = await this.alloc.record(who, id, project, { id: resId, nodes: [], racks: {}, start, end: stop }, phases, true, powerCycle, name)
      .catch(async (err: Error) => { await this.redis.del(this.key(project, name)); throw err; });
    return { cluster, lease };
  }

  async get(who: Requester, project: string, name: string): Promise<{ cluster: ClusterRecord; lease: LeaseRecord | undefined }> {
    assertMember(who, validateName("project", project), `project ${project}`);
    const raw = await this.redis.get(this.key(project, validateName("cluster", name)));
    if (raw === null) throw new NotFoundError(`cluster ${name} not found in project ${project}`);
    const cluster = JSON.parse(raw) as ClusterRecord;
    return { cluster, lease: (await this.leases.get(cluster.lease))?.lease };
  }

  async list(who: Requester, project: string): Promise<Array<{ cluster: ClusterRecord; lease: LeaseRecord | undefined }>> {
    assertMember(who, validateName("project", project), `project ${project}`);
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await this.redis.scan(cursor, "MATCH", `${this.prefix}cluster:${project}:*`, "COUNT", 500);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    const out = [];
    for (const k of keys.sort()) out.push(await this.get(who, project, k.slice(`${this.prefix}cluster:${project}:`.length)));
    return out;
  }

  /** Takes it down: the lease ends now (every node deprovisioned, disks deleted, released); forgotten once ended. */
  async delete(who: Requester, project: string, name: string): Promise<{ cluster: ClusterRecord; lease: LeaseRecord | undefined }> {
    const { cluster } = await this.get(who, project, name);
    const marked = { ...cluster, deleting: true };
    await this.redis.set(this.key(project, name), JSON.stringify(marked));
    const lease = await this.leases.endNow(who, cluster.lease);
    if (lease.state === "ENDED") await this.forget(lease);
    return { cluster: marked, lease };
  }

  /** A cluster's lease ended: the cluster record goes with it. */
  async forget(lease: LeaseRecord): Promise<void> {
    if (lease.cluster) await this.redis.del(this.key(lease.project, lease.cluster));
  }

  async scale(who: Requester, project: string, name: string, roleName: string, count: number, dryRun: boolean):
    Promise<{ cluster?: ClusterRecord; lease?: LeaseRecord; plan?: PlanView }> {
    const { cluster, lease } = await this.get(who, project, name);
    const role = cluster.roles.find((r) => r.name === roleName);
    if (!role) throw new InvalidArgumentError(`cluster ${name} has no role ${roleName}`);
    if (!Number.isSafeInteger(count) || count < role.min || count > role.max) {
      throw new InvalidArgumentError(`role ${roleName} takes ${role.min} to ${role.max} nodes, not ${count}`);
    }
    if (!lease || lease.state !== "ACTIVE" || cluster.deleting) throw new FailedPreconditionError(`cluster ${name} is not running`);
    const more = count - role.nodes.length;
    if (dryRun) {
      return { plan: await this.alloc.plan(who, project, more > 0 ? [{ ask: { count: more, minCount: 0, selector: role.selector, placement: role.placement },
        image: role.image, network: role.network, role: role.name }] : [], 8, lease.powerCycle, { start: Date.now(), end: lease.end }) };
    }
    if (more === 0) return { cluster, lease };
    if (more > 0) {
      const got = await this.alloc.scheduler.reserve(who, this.alloc.request(project,
        { count: more, minCount: 0, selector: role.selector, placement: role.placement }, { end: lease.end, id: lease.reservation }, `cluster ${name}`, true));
      const next = await this.update(cluster, roleName, [...role.nodes, ...got.nodes]);
      const userData = roleUserData(next, role.name);
      const added = got.nodes.map((n) => ({ node: n, image: role.image, network: role.network, rack: got.racks[n] ?? "", role: role.name, userData }));
      const l = await this.leases.mutate(lease.id, async (x) => ({ ...x, phases: [...x.phases, added] }));
      await this.leases.timers.set(`${lease.id}|start`, Date.now());
      this.leases.poke();
      return { cluster: next, lease: l };
    }
    const gone = role.nodes.slice(count);
    for (const n of gone) {
      const prov = await this.alloc.scheduler.redis.exists(`${this.prefix}prov:${n}`);
      if (prov) await this.provisioning.deprovision(who, project, n, true, true, `cluster-${lease.id}-scale-${n}`);
    }
    const l = await this.leases.mutate(lease.id, async (x) => ({ ...x, phases: x.phases.map((p) => p.filter((ln) => !gone.includes(ln.node))) }));
    await this.alloc.scheduler.release(lease.reservation, gone);
    return { cluster: await this.update(cluster, roleName, role.nodes.slice(0, count)), lease: l };
  }

  private async update(c: ClusterRecord, role: string, nodes: string[]): Promise<ClusterRecord> {
    const next = { ...c, roles: c.roles.map((r) => (r.name === role ? { ...r, nodes, count: nodes.length } : r)) };
    await this.redis.set(this.key(c.project, c.name), JSON.stringify(next));
    return next;
  }
}

export { allNodes };
