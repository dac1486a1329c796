import { InvalidArgumentError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { evalLua, loadLua, type Redis } from "@bmi/redis";
import { validateName } from "@bmi/validate";

/**
 * The target-host registry in Redis, shared by every target-service (which registers its own host) and every
 * orchestrator (which places targets on the hosts it finds there). Keys under BMI_REDIS_PREFIX:
 *   target:hosts           hash  host id -> JSON HostRecord, rewritten at every heartbeat
 *   target:hosts:draining  set   ids of drained hosts (admins, through the orchestrator): no new targets there
 *   target:kick            channel  a host id: that host's reconciler runs a pass now (a spec it exports changed)
 * A record's `heartbeatMs` is Redis's own clock (TIME), so hosts with skewed clocks still agree on who is alive.
 */
export interface HostRecord {
  id: string;
  /** Its target-service's gRPC address, for the orchestrator. */
  address: string;
  /** What its nodes are told (BMI_TARGET_ADVERTISE, else BMI_TARGET_PORTALS). */
  portals: string[];
  capacity: number;
  /** Its last reconcile pass succeeded. */
  healthy: boolean;
  /** Targets it exports now (specs naming it). */
  targets: number;
  /** Redis time of the last heartbeat, ms. */
  heartbeatMs: number;
  /** Alive while the last heartbeat is younger than this. */
  ttlMs: number;
}

export function hostKeys(prefix: string): { hosts: string; draining: string; kick: string } {
  return { hosts: `${prefix}target:hosts`, draining: `${prefix}target:hosts:draining`, kick: `${prefix}target:kick` };
}

/** A host id: a name (it reaches logs, Redis keys and the CLI). */
export function validateHostId(id: string): string {
  return validateName("target host", id);
}

const BEAT = loadLua(__dirname, "lua/beat");

/**
 * This host's registration: a heartbeat every `intervalMs` with its portals, capacity, health and target count,
 * and a subscription to the kick channel. The record stays when the service stops (it shows as not alive).
 */
export class HostRegistration {
  private timer: NodeJS.Timeout | undefined;
  private sub: Redis | undefined;
  private readonly keys: ReturnType<typeof hostKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly info: { id: string; address: string; portals: string[]; capacity: number },
    private readonly intervalMs: number,
    private readonly state: () => { healthy: boolean; targets: number },
    private readonly log: Logger,
  ) {
    validateHostId(info.id);
    this.keys = hostKeys(prefix);
  }

  /** Registers now, then every interval; `onKick` runs when another service changed a target of this host. */
  async start(onKick: () => void): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch((err: unknown) => this.log.warn({ err: String(err) }, "target host heartbeat failed")), this.intervalMs);
    this.timer.unref();
    this.sub = this.redis.duplicate();
    this.sub.on("message", (_channel: string, host: string) => {
      if (host === this.info.id) onKick();
    });
    await this.sub.subscribe(this.keys.kick);
    this.log.info({ host: this.info.id, portals: this.info.portals, capacity: this.info.capacity }, "target host registered");
  }

  async beat(): Promise<void> {
    const rec = { ...this.info, ...this.state(), heartbeatMs: 0, ttlMs: this.intervalMs * 3 };
    await evalLua(this.redis, BEAT, 1, this.keys.hosts, this.info.id, JSON.stringify(rec));
  }

  /** Tells the other hosts in `hosts` to reconcile now (their copy of a target changed). */
  async kick(hosts: Iterable<string>): Promise<void> {
    for (const h of new Set(hosts)) if (h !== this.info.id) await this.redis.publish(this.keys.kick, h);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sub?.disconnect();
  }
}

/** The registered hosts, read by target-service to tell nodes a target's portals. */
export async function readHosts(redis: Redis, prefix: string): Promise<Map<string, HostRecord>> {
  const raw = await redis.hgetall(hostKeys(prefix).hosts);
  return new Map(Object.entries(raw).map(([id, json]) => [id, JSON.parse(json) as HostRecord]));
}

/** The portals of `hosts` in order, each host's once; INVALID_ARGUMENT for a host that never registered. */
export function portalsOf(registry: Map<string, HostRecord>, hosts: string[]): string[] {
  return hosts.flatMap((h) => {
    const rec = registry.get(h);
    if (!rec) throw new InvalidArgumentError(`target host ${h} is not registered`);
    return rec.portals;
  });
}
