import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "@bmi/errors";
import { evalLua, type Redis } from "@bmi/redis";
import type { NicInfo, NodeInfo, PowerSpec } from "../node-driver";
import { ASSIGN, ATTACH, REGISTER, UNASSIGN, UNREGISTER, UPDATE } from "./standalone-scripts";

/** A registered node as kept in Redis (the power password included: Redis is BMI's private store). */
export interface StoredNode {
  name: string;
  nics: { label: string; mac: string }[];
  power?: PowerSpec;
  metadata: Record<string, string>;
  /** ISO 8601 */
  registered: string;
}

export interface LoadedNode { record: StoredNode; raw: string; info: NodeInfo }

/**
 * The standalone inventory in Redis: `nodes` (name -> JSON record), `macs` (MAC -> name, so a MAC is on one node
 * only), `projects` (name -> project) and one `nets:<name>` hash per node ("nic|channel" -> network).
 */
export class StandaloneStore {
  private readonly nodes: string;
  private readonly macs: string;
  private readonly projects: string;

  constructor(private readonly redis: Redis, private readonly prefix: string) {
    this.nodes = `${prefix}nodes`;
    this.macs = `${prefix}macs`;
    this.projects = `${prefix}projects`;
  }

  async add(node: StoredNode): Promise<void> {
    const res = await this.run(REGISTER, [this.nodes, this.macs], [node.name, JSON.stringify(node), ...node.nics.map((n) => n.mac)]);
    if (res[0] === "name") throw new AlreadyExistsError(`node ${node.name} is already registered`);
    if (res[0] === "mac") throw new AlreadyExistsError(`MAC address ${res[1]} is already registered on node ${res[2]}`);
  }

  /** Compare-and-set: false when the record changed since `raw` was read. */
  async replace(raw: string, node: StoredNode): Promise<boolean> {
    const res = await this.run(UPDATE, [this.nodes, this.macs],
      [node.name, raw, JSON.stringify(node), ...node.nics.map((n) => n.mac)]);
    if (res[0] === "missing") throw new NotFoundError(`node ${node.name} is not registered`);
    if (res[0] === "mac") throw new AlreadyExistsError(`MAC address ${res[1]} is already registered on node ${res[2]}`);
    return res[0] === "ok";
  }

  async remove(name: string): Promise<void> {
    const res = await this.run(UNREGISTER, [this.nodes, this.macs, this.projects, this.nets(name)], [name]);
    if (res[0] === "missing") throw new NotFoundError(`node ${name} is not registered`);
    if (res[0] === "allocated") {
      throw new FailedPreconditionError(`node ${name} is allocated to project ${res[1]}: release it before unregistering`);
    }
  }

  /** "ok", "already" (this project has it), "other" (another project has it). */
  async assign(name: string, project: string): Promise<"ok" | "already" | "other"> {
    const res = await this.run(ASSIGN, [this.nodes, this.projects], [name, project]);
    if (res[0] === "missing") throw new NotFoundError(`node ${name} is not registered`);
    return res[0] as "ok" | "already" | "other";
  }

  async unassign(name: string, project: string): Promise<"ok" | "free" | "other"> {
    return (await this.run(UNASSIGN, [this.projects, this.nets(name)], [name, project]))[0] as "ok" | "free" | "other";
  }

  /** Records (network non-empty) or forgets (`detach` given) a NIC's network. */
  async attach(name: string, project: string, nic: string, channel: string, network: string, detach = ""):
    Promise<"ok" | "already" | "busy" | "other"> {
    const res = await this.run(ATTACH, [this.projects, this.nets(name)], [name, project, nic, channel, network, detach]);
    return res[0] as "ok" | "already" | "busy" | "other";
  }

  async get(name: string): Promise<LoadedNode | undefined> {
    const [raw, project, nets] = await Promise.all([
      this.redis.hget(this.nodes, name), this.redis.hget(this.projects, name), this.redis.hgetall(this.nets(name)),
    ]);
    return raw === null ? undefined : this.load(raw, project, nets);
  }

  async all(): Promise<LoadedNode[]> {
    const [records, projects] = await Promise.all([this.redis.hgetall(this.nodes), this.redis.hgetall(this.projects)]);
    const names = Object.keys(records).sort();
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hgetall(this.nets(name));
    const nets = (await pipeline.exec()) ?? [];
    return names.map((name, i) => this.load(records[name] ?? "", projects[name] ?? null, (nets[i]?.[1] ?? {}) as Record<string, string>));
  }

  private load(raw: string, project: string | null, nets: Record<string, string>): LoadedNode {
    const record = JSON.parse(raw) as StoredNode;
    const nics: NicInfo[] = record.nics.map((n) => ({ ...n, networks: {} }));
    for (const [field, network] of Object.entries(nets)) {
      const [label, channel] = field.split("|");
      const nic = nics.find((n) => n.label === label);
      if (nic && channel) nic.networks[channel] = network;
    }
    const info: NodeInfo = {
      name: record.name, project, nics, metadata: record.metadata, powerDriver: record.power?.kind ?? "",
      registered: new Date(record.registered),
    };
    return { record, raw, info };
  }

  private nets(name: string): string {
    return `${this.prefix}nets:${name}`;
  }

  private async run(script: string, keys: string[], args: string[]): Promise<string[]> {
    return (await evalLua(this.redis, script, keys.length, ...keys, ...args)) as string[];
  }
}
