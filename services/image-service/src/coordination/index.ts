import type { Logger } from "@bmi/log";
import type { Redis } from "@bmi/redis";
import type { Catalog } from "../catalog";
import { tmpOwner } from "../drivers/ceph/names";
import type { Sharing } from "../library";
import { Presence, newInstanceId } from "./presence";
import { RedisLocks } from "./redis-locks";
import { SharedCatalog, type PoolReader } from "./shared-catalog";

export { RedisLocks } from "./redis-locks";
export { Presence } from "./presence";

/**
 * One image-service instance among several on one Ceph pool: its id and liveness, its locks, which leftovers in the
 * pool are abandoned, and (once the library has its catalog) the catalog's sharing. Joined before the driver opens,
 * so nothing this instance makes is ever in the pool without a live owner.
 */
export class PoolMembership {
  readonly locks: RedisLocks;
  /** The other instances alive at the last look (someoneDied). */
  private seen = new Set<string>();

  private constructor(
    private readonly redis: Redis, private readonly sub: Redis, private readonly presence: Presence,
    private readonly prefix: string, private readonly leaseMs: number, private readonly log: Logger,
  ) {
    this.locks = new RedisLocks(redis, { prefix, instance: presence.id, leaseMs, log });
  }

  /**
   * `prefix` names the pool in Redis (every instance of the pool must use the same); `sub` is a connection of its
   * own for change messages. Both connections are closed with the membership.
   */
  static async join(opts: { redis: Redis; sub: Redis; prefix: string; leaseMs: number; log: Logger }): Promise<PoolMembership> {
    const presence = await Presence.join(opts.redis, opts.prefix, newInstanceId(), opts.leaseMs, opts.log);
    opts.log.info({ instance: presence.id, leaseMs: opts.leaseMs }, "image-service instance joined the pool");
    const member = new PoolMembership(opts.redis, opts.sub, presence, opts.prefix, opts.leaseMs, opts.log);
    await member.someoneDied();
    return member;
  }

  /**
   * Whether an instance alive at the last look is dead now: what it was doing may have left a tmp~ snapshot on a
   * disk, which only a look at every disk finds (one open each), so that look is made only then.
   */
  async someoneDied(): Promise<boolean> {
    const now = new Set(await this.presence.others());
    const died = [...this.seen].some((id) => !now.has(id));
    this.seen = now;
    return died;
  }

  get instance(): string {
    return this.presence.id;
  }

  /**
   * A tmp~ image or snapshot is abandoned when its owner is dead; one without an owner (made by a single instance,
   * or before instances had ids) only when no other instance is alive, since it cannot say whose it is.
   */
  readonly abandoned = async (tmpName: string): Promise<boolean> => {
    const owner = tmpOwner(tmpName);
    if (owner === undefined) return (await this.presence.others()).length === 0;
    if (owner === this.presence.id) return false;
    return !(await this.presence.alive(owner));
  };

  /** What the image library takes: these locks, and the catalog kept in step with `pool` (swept every lease). */
  sharing(pool: PoolReader): Sharing {
    return {
      locks: this.locks,
      share: (catalog: Catalog) => SharedCatalog.start({
        redis: this.redis, sub: this.sub, channel: `${this.prefix}changes`, instance: this.presence.id, pool, catalog, log: this.log,
        sweepMs: this.leaseMs, someoneDied: () => this.someoneDied(),
      }),
      close: () => this.close(),
    };
  }

  async close(): Promise<void> {
    this.locks.close();
    await this.presence.leave();
    this.sub.disconnect();
    await this.redis.quit().catch(() => undefined);
  }
}
