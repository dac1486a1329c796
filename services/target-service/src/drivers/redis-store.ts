import { AlreadyExistsError } from "@bmi/errors";
import type { Redis } from "@bmi/redis";
import type { TargetSpec, TargetStore } from "../target";

// A spec per project/disk and an IQN index, set together: two names that map to the same IQN ("a.b"/"c" and
// "a"/"b.c") must not both get it. Answers 1 (inserted), 0 (project/disk taken) or the key holding the IQN.
const INSERT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner then return owner end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1`;

/**
 * Wanted targets in one Redis hash (field "<project>/<disk>", value the spec as JSON), an IQN index and a counter
 * for tgtd target ids. The CHAP secret is stored with the spec: it must survive restarts to be re-applied.
 */
export class RedisTargetStore implements TargetStore {
  private readonly specs: string;
  private readonly iqns: string;
  private readonly tids: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.specs = `${prefix}target:specs`;
    this.iqns = `${prefix}target:iqns`;
    this.tids = `${prefix}target:next-tid`;
  }

  async get(project: string, disk: string): Promise<TargetSpec | undefined> {
    const raw = await this.redis.hget(this.specs, `${project}/${disk}`);
    return raw === null ? undefined : (JSON.parse(raw) as TargetSpec);
  }

  async list(): Promise<TargetSpec[]> {
    return (await this.redis.hvals(this.specs)).map((raw) => JSON.parse(raw) as TargetSpec);
  }

  async insert(spec: TargetSpec): Promise<boolean> {
    const key = `${spec.project}/${spec.disk}`;
    const r = await this.redis.eval(INSERT, 2, this.specs, this.iqns, key, spec.iqn, JSON.stringify(spec));
    if (typeof r === "string") throw new AlreadyExistsError(`IQN ${spec.iqn} is already used by ${r}`);
    return r === 1;
  }

  async delete(project: string, disk: string): Promise<void> {
    const spec = await this.get(project, disk);
    if (!spec) return;
    await this.redis.multi().hdel(this.specs, `${project}/${disk}`).hdel(this.iqns, spec.iqn).exec();
  }

  async nextTid(): Promise<number> {
    return this.redis.incr(this.tids);
  }
}
