import type { Redis } from "@bmi/redis";
import type { TargetSpec, TargetStore } from "../target";

/**
 * Wanted targets in one Redis hash (field "<project>/<disk>", value the spec as JSON) and a counter for tgtd
 * target ids. The CHAP secret is stored with the spec: it must survive restarts to be re-applied.
 */
export class RedisTargetStore implements TargetStore {
  private readonly specs: string;
  private readonly tids: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.specs = `${prefix}target:specs`;
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
    return (await this.redis.hsetnx(this.specs, `${spec.project}/${spec.disk}`, JSON.stringify(spec))) === 1;
  }

  async delete(project: string, disk: string): Promise<void> {
    await this.redis.hdel(this.specs, `${project}/${disk}`);
  }

  async nextTid(): Promise<number> {
    return this.redis.incr(this.tids);
  }
}
