import { AlreadyExistsError } from "@bmi/errors";
import { evalLua, hsetIfField, loadLua, type Redis } from "@bmi/redis";
import type { BootConfig, Binding } from "../boot-config";
import type { BootConfigStore } from "../boot-configs";

// Both scripts keep the MAC index, the configs and their bindings in step atomically: a MAC is never handed to two
// nodes, a node's old MACs are released when its config changes, and a new config starts armed (ARGV[3]), so a
// provision binds the script afresh. Every key they touch is passed in KEYS.
const PUT = loadLua(__dirname, "lua/put");

const DELETE = loadLua(__dirname, "lua/delete");

// The first fetch while armed takes the binding; every later one reads it. A config stored before bindings
// existed has none and counts as armed. Answers {1 if this call bound it, the binding}, or {} without a config.
const BIND = loadLua(__dirname, "lua/bind");

const CONFIRM = loadLua(__dirname, "lua/confirm");

/** Boot configs in a Redis hash (node -> JSON) with a MAC index (mac -> node) and their bindings (node -> JSON). */
export class RedisBootStore implements BootConfigStore {
  private readonly configs: string;
  private readonly macs: string;
  private readonly bindings: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.configs = `${prefix}boot:configs`;
    this.macs = `${prefix}boot:macs`;
    this.bindings = `${prefix}boot:bindings`;
  }

  async put(c: BootConfig, now: string): Promise<void> {
    const { binding: _, ...config } = c;
    const r = (await evalLua(this.redis, PUT, 3, this.configs, this.macs, this.bindings, c.node, JSON.stringify(config),
      JSON.stringify(armed(now)), ...c.macs)) as [number, string?, string?];
    if (r[0] !== 1) throw new AlreadyExistsError(`MAC ${r[1]} already belongs to node ${r[2]}`);
  }

  async delete(node: string): Promise<boolean> {
    return (await evalLua(this.redis, DELETE, 3, this.configs, this.macs, this.bindings, node)) === 1;
  }

  async get(node: string): Promise<BootConfig | undefined> {
    const [raw, binding] = await Promise.all([this.redis.hget(this.configs, node), this.redis.hget(this.bindings, node)]);
    return raw === null ? undefined : attach(JSON.parse(raw) as BootConfig, binding);
  }

  async byMac(mac: string): Promise<BootConfig | undefined> {
    const node = await this.redis.hget(this.macs, mac);
    return node === null ? undefined : this.get(node);
  }

  async list(): Promise<BootConfig[]> {
    const [configs, bindings] = await Promise.all([this.redis.hvals(this.configs), this.redis.hgetall(this.bindings)]);
    const all = configs.map((raw) => JSON.parse(raw) as BootConfig).map((c) => attach(c, bindings[c.node]));
    return all.sort((a, b) => a.node.localeCompare(b.node));
  }

  async arm(node: string, now: string): Promise<Binding | undefined> {
    const b = armed(now);
    // Only while the node has a config: a delete meanwhile leaves no binding behind.
    return (await hsetIfField(this.redis, this.configs, this.bindings, node, JSON.stringify(b))) ? b : undefined;
  }

  async bind(node: string, address: string, now: string, armedAfter = ""): Promise<{ binding: Binding; fresh: boolean; expired?: boolean } | undefined> {
    const r = (await evalLua(this.redis, BIND, 2, this.configs, this.bindings, node, address, now, armedAfter)) as [number, string] | [];
    return r.length === 0 ? undefined : { binding: JSON.parse(r[1]) as Binding, fresh: r[0] === 1, ...(r[0] === 2 ? { expired: true } : {}) };
  }

  async confirmAcl(node: string, address: string): Promise<void> {
    await evalLua(this.redis, CONFIRM, 1, this.bindings, node, address);
  }
}

function armed(now: string): Binding {
  return { address: "", armed: now, bound: "", targetAcl: false };
}

function attach(c: BootConfig, binding: string | null | undefined): BootConfig {
  return binding ? { ...c, binding: JSON.parse(binding) as Binding } : c;
}
