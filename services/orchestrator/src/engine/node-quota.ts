import { InvalidArgumentError } from "@bmi/errors";
import { SCRIPTS } from "./lua/scripts";
import type { JobStore } from "./store";

/**
 * The node quota of each project, kept in Redis beside the jobs (quota:<project>, field nodes): the create script
 * (lua/create.lua) counts and enforces it in the same step that provisions, so its limit and use live where the
 * provisioned records do. Absent: unlimited.
 */
export class NodeQuota {
  constructor(private readonly store: JobStore) {}

  async limit(project: string): Promise<number | undefined> {
    const v = await this.store.redis.hget(this.store.keys.quota(project), "nodes");
    return v === null ? undefined : Number(v);
  }

  /** undefined: unlimited. Lowering it below the use deprovisions nothing; it refuses new nodes. */
  async setLimit(project: string, limit: number | undefined): Promise<void> {
    const key = this.store.keys.quota(project);
    if (limit === undefined) {
      await this.store.redis.hdel(key, "nodes");
      return;
    }
    if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError(`quota nodes: ${limit} is not a whole number of 0 or more`);
    await this.store.redis.hset(key, "nodes", limit);
  }

  async used(project: string): Promise<number> {
    return Number(await this.store.run(SCRIPTS.quotaUsed, [project]));
  }

  /** Indexes provisioned records made before quotas existed; at start-up. */
  async index(): Promise<number> {
    return Number(await this.store.run(SCRIPTS.quotaIndex, []));
  }
}
