import { NotFoundError } from "@bmi/errors";
import type { Redis } from "@bmi/redis";
import { validateName } from "@bmi/validate";

/**
 * The target-host registry target-services keep in Redis (services/target-service/src/hosts/registry.ts writes
 * it): `<prefix>target:hosts` (id -> JSON record, heartbeat in Redis time) and `<prefix>target:hosts:draining`.
 * Read here with Redis's clock, so a host is alive while its last heartbeat is younger than its ttl.
 */
export interface TargetHostState {
  id: string;
  address: string;
  portals: string[];
  capacity: number;
  healthy: boolean;
  alive: boolean;
  draining: boolean;
  heartbeatMs: number;
}

export class TargetHostRegistry {
  readonly hostsKey: string;
  readonly drainingKey: string;

  /** `prefix` is BMI_REDIS_PREFIX (the services' shared one, not the engine's). */
  constructor(private readonly redis: Redis, prefix: string) {
    this.hostsKey = `${prefix}target:hosts`;
    this.drainingKey = `${prefix}target:hosts:draining`;
  }

  async list(): Promise<TargetHostState[]> {
    const res = await this.redis.multi().time().hgetall(this.hostsKey).smembers(this.drainingKey).exec();
    const [time, raw, draining] = replies(res) as [[string, string], Record<string, string>, string[]];
    return this.parse(time, raw, draining);
  }

  /** The hosts from what `list` reads (Redis TIME, the registry hash, the draining set), read by a caller's MULTI. */
  parse(time: [string, string], raw: Record<string, string>, draining: string[]): TargetHostState[] {
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const drained = new Set(draining);
    return Object.values(raw).map((json) => {
      const r = JSON.parse(json) as { id: string; address: string; portals: string[]; capacity: number; healthy: boolean; heartbeatMs: number; ttlMs: number };
      return { id: r.id, address: r.address, portals: r.portals, capacity: r.capacity, healthy: r.healthy,
        alive: now - r.heartbeatMs < r.ttlMs, draining: drained.has(r.id), heartbeatMs: r.heartbeatMs };
    }).sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<TargetHostState> {
    validateName("target host", id);
    const host = (await this.list()).find((h) => h.id === id);
    if (!host) throw new NotFoundError(`target host ${id} is not registered`);
    return host;
  }

  /** No new targets on the host (or, with `drain` false, new ones again). */
  async setDraining(id: string, drain: boolean): Promise<TargetHostState> {
    await this.get(id);
    if (drain) await this.redis.sadd(this.drainingKey, id);
    else await this.redis.srem(this.drainingKey, id);
    return this.get(id);
  }
}

/** A MULTI's replies, each one's error thrown. */
export function replies(res: Array<[Error | null, unknown]> | null): unknown[] {
  return (res ?? []).map(([err, v]) => {
    if (err) throw err;
    return v;
  });
}
