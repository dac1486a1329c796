import { AlreadyExistsError } from "@bmi/errors";
import type { Redis } from "@bmi/redis";
import type { BootConfig } from "../boot-config";
import type { BootConfigStore } from "../boot-configs";

// Both scripts keep the MAC index and the configs in step atomically: a MAC is never handed to two nodes, and a
// node's old MACs are released when its config changes. Every key they touch is passed in KEYS.
const PUT = `
local node = ARGV[1]
for i = 3, #ARGV do
  local owner = redis.call('HGET', KEYS[2], ARGV[i])
  if owner and owner ~= node then return {0, ARGV[i], owner} end
end
local old = redis.call('HGET', KEYS[1], node)
if old then
  for _, m in ipairs(cjson.decode(old).macs) do redis.call('HDEL', KEYS[2], m) end
end
redis.call('HSET', KEYS[1], node, ARGV[2])
for i = 3, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], node) end
return {1}`;

const DELETE = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
for _, m in ipairs(cjson.decode(old).macs) do
  if redis.call('HGET', KEYS[2], m) == ARGV[1] then redis.call('HDEL', KEYS[2], m) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1`;

/** Boot configs in a Redis hash (node -> JSON) with a MAC index (mac -> node). */
export class RedisBootStore implements BootConfigStore {
  private readonly configs: string;
  private readonly macs: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.configs = `${prefix}boot:configs`;
    this.macs = `${prefix}boot:macs`;
  }

  async put(c: BootConfig): Promise<void> {
    const r = (await this.redis.eval(PUT, 2, this.configs, this.macs, c.node, JSON.stringify(c), ...c.macs)) as [number, string?, string?];
    if (r[0] !== 1) throw new AlreadyExistsError(`MAC ${r[1]} already belongs to node ${r[2]}`);
  }

  async delete(node: string): Promise<boolean> {
    return (await this.redis.eval(DELETE, 2, this.configs, this.macs, node)) === 1;
  }

  async get(node: string): Promise<BootConfig | undefined> {
    const raw = await this.redis.hget(this.configs, node);
    return raw === null ? undefined : (JSON.parse(raw) as BootConfig);
  }

  async byMac(mac: string): Promise<BootConfig | undefined> {
    const node = await this.redis.hget(this.macs, mac);
    return node === null ? undefined : this.get(node);
  }

  async list(): Promise<BootConfig[]> {
    const all = (await this.redis.hvals(this.configs)).map((raw) => JSON.parse(raw) as BootConfig);
    return all.sort((a, b) => a.node.localeCompare(b.node));
  }
}
