import { randomBytes } from "node:crypto";
import type { Logger } from "@bmi/log";
import { evalLua, loadLua, type Redis } from "@bmi/redis";

// The scripts are the .lua files in ./lua, each after now.lua (shared with redis-locks.ts).
const NOW = loadLua(__dirname, "lua/now");
// KEYS: the instances' sorted set (id -> end of its liveness); ARGV: id, ms. Drops the long dead while at it.
const BEAT = NOW + loadLua(__dirname, "lua/presence-beat");
// KEYS: the set; ARGV: id. 1 while the instance renews its liveness.
const ALIVE = NOW + loadLua(__dirname, "lua/presence-alive");
// KEYS: the set. The instances alive now.
const LIVE = NOW + loadLua(__dirname, "lua/presence-live");

/** An instance id: what its temporaries in the pool are named after (tmp~ID~...), so lower-case hex. */
export function newInstanceId(): string {
  return randomBytes(5).toString("hex");
}

/**
 * Which image-service instances on a pool are alive: each renews its entry every third of `leaseMs`; one that
 * stopped renewing (crashed, stopped, cut off from Redis) for `leaseMs` is dead, and what it left half-made in the
 * pool is abandoned. An instance that cannot renew has lost its locks by then too, so it commits nothing more.
 */
export class Presence {
  private readonly timer: NodeJS.Timeout;
  private readonly key: string;

  private constructor(private readonly redis: Redis, prefix: string, readonly id: string, private readonly leaseMs: number, private readonly log: Logger) {
    this.key = `${prefix}instances`;
    this.timer = setInterval(() => void this.beat().catch((err: unknown) => log.warn({ err }, "liveness not renewed")),
      Math.max(50, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /** Announces the instance before it touches the pool, so nothing it makes is ever seen without a live owner. */
  static async join(redis: Redis, prefix: string, id: string, leaseMs: number, log: Logger): Promise<Presence> {
    const p = new Presence(redis, prefix, id, leaseMs, log);
    await p.beat();
    return p;
  }

  async alive(id: string): Promise<boolean> {
    return Number(await evalLua(this.redis, ALIVE, 1, this.key, id)) === 1;
  }

  /** The other instances alive now. */
  async others(): Promise<string[]> {
    return ((await evalLua(this.redis, LIVE, 1, this.key)) as string[]).filter((id) => id !== this.id);
  }

  /** Leaves at once (a clean stop): others need not wait for the lease to treat what is left as abandoned. */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.zrem(this.key, this.id).catch((err: unknown) => this.log.warn({ err }, "instance entry not removed"));
  }

  private async beat(): Promise<void> {
    await evalLua(this.redis, BEAT, 1, this.key, this.id, this.leaseMs);
  }
}
