import type { Redis } from "@bmi/redis";
import type { CallOpts } from "@bmi/grpc";
import type { BootConfig } from "@bmi/proto/bmi/boot/v1/boot";
import { NodeFilter, type Node } from "@bmi/proto/bmi/haas/v1/haas";
import type { Disk } from "@bmi/proto/bmi/image/v1/image";
import type { Target } from "@bmi/proto/bmi/target/v1/target";
import type { Keys } from "../engine/keys";
import type { JobQueries } from "../engine/queries";
import type { ProvisionedRecord } from "../engine/types";
import type { ServiceClients } from "../steps/clients";

/** What BMI's own records say: provisioned nodes, the disks each node had, and what running jobs hold. */
export interface Records {
  provisioned: Map<string, ProvisionedRecord>;
  /** "project/disk" of every disk a record names: current disks, earlier disks kept for re-provisioning, disks of running jobs. */
  disks: Set<string>;
  /** Nodes a job holds (their lock), and the disks those jobs name. */
  busy: Set<string>;
  projects: Set<string>;
}

/** What the back ends hold, read through the services (as an admin). */
export interface BackEnds {
  disks: Disk[];
  targets: Target[];
  configs: BootConfig[];
  /** undefined: HIL (or the inventory) could not be read; `skipped` says why. */
  nodes: Node[] | undefined;
  skipped: string[];
}

export const diskKey = (project: string, disk: string) => `${project}/${disk}`;

/** Reads the records: provisioned nodes, provdisks hashes, node locks and the jobs holding them. */
export async function readRecords(redis: Redis, keys: Keys, queries: JobQueries): Promise<Records> {
  const provisioned = new Map((await queries.provisionedAll()).map((p) => [p.node, p]));
  const disks = new Set<string>();
  const projects = new Set<string>();
  const busy = new Set<string>();
  for (const p of provisioned.values()) {
    projects.add(p.project);
    if (p.disk) disks.add(diskKey(p.project, p.disk));
  }
  // provdisks:<project>:<node> holds the disks a node has had (disk -> image): kept for re-provisioning.
  for (const key of await scan(redis, `${keys.prefix}provdisks:*`)) {
    const [project, node] = key.slice(`${keys.prefix}provdisks:`.length).split(":");
    if (!project || !node) continue;
    projects.add(project);
    for (const disk of Object.keys(await redis.hgetall(key))) disks.add(diskKey(project, disk));
  }
  for (const key of await scan(redis, `${keys.prefix}lock:*`)) {
    const node = key.slice(`${keys.prefix}lock:`.length);
    busy.add(node);
    const id = await redis.get(key);
    const job = id ? await queries.job(id) : undefined;
    if (!job) continue;
    projects.add(job.project);
    for (const d of [job.spec.disk, job.spec.previous?.disk]) if (d) disks.add(diskKey(job.project, d));
  }
  return { provisioned, disks, busy, projects };
}

/** Two reads of the records around the back ends' listing, joined: whatever either names is named. */
export function joinRecords(a: Records, b: Records): Records {
  return {
    provisioned: new Map([...a.provisioned, ...b.provisioned]),
    disks: new Set([...a.disks, ...b.disks]),
    busy: new Set([...a.busy, ...b.busy]),
    projects: new Set([...a.projects, ...b.projects]),
  };
}

/**
 * Lists every back end. Disks are listed per project (image-service has no "every project" listing): every project
 * a record, a target, a boot config, an allocation or an image names.
 */
export async function readBackEnds(clients: ServiceClients, call: CallOpts, known: Set<string>): Promise<BackEnds> {
  const skipped: string[] = [];
  const [targets, configs, nodes, images] = await Promise.all([
    clients.target.listTargets({ project: "" }, call).then((r) => r.targets),
    clients.boot.listBootConfigs({ project: "" }, call).then((r) => r.configs),
    clients.haas.listNodes({ filter: NodeFilter.NODE_FILTER_ALL, project: "" }, call).then((r) => r.nodes).catch((err: Error) => {
      skipped.push(`allocations (haas-gateway: ${err.message})`);
      return undefined;
    }),
    listAllImages(clients, call),
  ]);
  const projects = new Set(known);
  for (const t of targets) projects.add(t.project);
  for (const c of configs) projects.add(c.project);
  for (const n of nodes ?? []) if (n.project) projects.add(n.project);
  for (const p of images) projects.add(p);
  projects.delete("");
  const disks = (await Promise.all([...projects].sort().map((project) =>
    clients.image.listDisks({ project }, call).then((r) => r.disks)))).flat();
  return { disks, targets, configs, nodes, skipped };
}

async function listAllImages(clients: ServiceClients, call: CallOpts): Promise<string[]> {
  const projects = new Set<string>();
  let pageToken = "";
  do {
    const res = await clients.image.listImages({ project: "", includePublic: false, pageSize: 10_000, pageToken }, call);
    for (const i of res.images) projects.add(i.project);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return [...projects];
}

/** Every key matching `pattern`, through SCAN (ioredis' scanStream) so a large store is walked in steps. */
async function scan(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of redis.scanStream({ match: pattern, count: 1000 })) out.push(...(keys as string[]));
  return out;
}
