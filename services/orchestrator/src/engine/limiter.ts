import { randomBytes } from "node:crypto";
import { Semaphore } from "@bmi/async";
import type { Logger } from "@bmi/log";
import type { Redis } from "@bmi/redis";
import { limiterAdmitted, limiterWaitSeconds } from "./metrics";
import { Script } from "./lua/script";

/** Where limits are held when several orchestrators share them: one Redis, leases renewed by each holder. */
export interface SharedLimits {
  redis: Redis;
  /** The engine's key prefix ("bmi:orch:"): keys go under `<prefix>limit:`. */
  prefix: string;
  instance: string;
  /** A holder that stops renewing (crashed) loses its slots after this. */
  leaseMs: number;
  log: Logger;
}

/** What a slot is held for, shown by ListLimits. */
export interface HolderInfo {
  job?: string;
  step?: string;
}

/** One bottleneck as Redis holds it: the slots in use (by any orchestrator) and the steps waiting. */
export interface LimitView {
  bottleneck: string;
  limit: number;
  holders: Array<{ instance: string; job: string; step: string; expiresMs: number }>;
  waiters: number;
}

// Slots of a bottleneck: a sorted set of holder tokens scored by lease expiry (Redis time), a hash token -> who,
// and a sorted set of waiting tokens (also by expiry, so a crashed instance's waiters vanish). Expired holders are
// dropped by whoever asks next: a crashed holder's slot comes back one lease after its last renewal.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
const PURGE = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #dead > 0 then redis.call('ZREM', KEYS[1], unpack(dead)) redis.call('HDEL', KEYS[2], unpack(dead)) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)`;
// KEYS: holders, info, waiters, known keys. ARGV: token, limit, leaseMs, info JSON, bottleneck. 1: admitted.
const ACQUIRE = `${NOW}${PURGE}
redis.call('SADD', KEYS[4], ARGV[5])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[1])
return 0`;
// KEYS: holders, info, waiters. ARGV: token, channel, bottleneck.
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1]) redis.call('HDEL', KEYS[2], ARGV[1]) redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;
// KEYS: holders, waiters. ARGV: leaseMs, tokens held..., "|", tokens waiting... Answers the held tokens lost.
const RENEW = `${NOW}
local lease, waiting, lost = now + tonumber(ARGV[1]), false, {}
for i = 2, #ARGV do
  if ARGV[i] == '|' then waiting = true
  elseif waiting then redis.call('ZADD', KEYS[2], lease, ARGV[i])
  elseif redis.call('ZSCORE', KEYS[1], ARGV[i]) then redis.call('ZADD', KEYS[1], lease, ARGV[i])
  else lost[#lost + 1] = ARGV[i] end
end
return lost`;
// KEYS: holders, info, waiters. Answers now, holders with scores, their info, the waiter count.
const READ = `${NOW}${PURGE}
return {now, redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[2]), redis.call('ZCARD', KEYS[3])}`;
// Sent by SHA: every step acquires and releases, and the script text on each would be most of the bytes written.
const SCRIPT = { acquire: new Script(ACQUIRE), release: new Script(RELEASE), renew: new Script(RENEW), read: new Script(READ) };

/**
 * A bottleneck's slots in Redis, shared by every orchestrator: this instance's steps queue here in arrival order
 * and the one at the head asks Redis for a slot, again whenever any instance releases one (pub/sub) and at least
 * every `RETRY_MS` (a crashed holder's lease running out releases nothing).
 */
class SharedSemaphore {
  private readonly queue: Array<{ token: string; info: string; admit: () => void; fail: (err: unknown) => void }> = [];
  readonly held = new Set<string>();
  private pumping = false;
  private wake: (() => void) | undefined;

  constructor(private readonly lim: RedisLimits, readonly key: string, readonly limit: number) {}

  async run<T>(fn: () => Promise<T>, who: HolderInfo): Promise<T> {
    const token = `${this.lim.o.instance}|${randomBytes(6).toString("hex")}`;
    await new Promise<void>((admit, fail) => {
      this.queue.push({ token, info: JSON.stringify({ instance: this.lim.o.instance, ...who }), admit, fail });
      void this.pump();
    });
    this.held.add(token);
    try {
      return await fn();
    } finally {
      this.held.delete(token);
      await this.lim.release(this.key, token).catch((err: unknown) =>
        this.lim.o.log.warn({ err: String(err), bottleneck: this.key }, "limit slot not released: it comes back when its lease runs out"));
    }
  }

  get waitingTokens(): string[] {
    return this.queue.map((q) => q.token);
  }

  get stats(): { active: number; waiting: number } {
    return { active: this.held.size, waiting: this.queue.length };
  }

  /** A slot was released somewhere: the head asks again now. */
  released(): void {
    this.wake?.();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        let admitted: boolean;
        try {
          admitted = await this.lim.acquire(this.key, this.limit, head.token, head.info);
        } catch (err) {
          // Redis unreachable: the step fails as transient and is retried by the engine.
          this.queue.shift();
          head.fail(err);
          continue;
        }
        if (admitted) {
          this.queue.shift();
          head.admit();
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RETRY_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    } finally {
      this.pumping = false;
    }
  }
}

const RETRY_MS = 250;

/** The Redis side of shared limits: keys, the release channel, lease renewal. */
class RedisLimits {
  private readonly sub: Redis;
  private readonly renewer: NodeJS.Timeout;
  readonly sems = new Map<string, SharedSemaphore>();

  constructor(readonly o: SharedLimits) {
    this.sub = o.redis.duplicate();
    this.sub.on("message", (_channel: string, key: string) => this.sems.get(key)?.released());
    void this.sub.subscribe(this.channel).catch((err: unknown) => o.log.warn({ err: String(err) }, "limit release channel unavailable: waiting steps poll"));
    this.renewer = setInterval(() => void this.renew(), Math.max(50, Math.floor(o.leaseMs / 3)));
    this.renewer.unref();
  }

  get channel(): string {
    return `${this.o.prefix}limit:released`;
  }

  keys(key: string): [string, string, string] {
    const base = `${this.o.prefix}limit:${key}`;
    return [`${base}:holders`, `${base}:info`, `${base}:waiters`];
  }

  get known(): string {
    return `${this.o.prefix}limit:keys`;
  }

  async acquire(key: string, limit: number, token: string, info: string): Promise<boolean> {
    return (await SCRIPT.acquire.run(this.o.redis, [...this.keys(key), this.known, token, limit, this.o.leaseMs, info, key], 4)) === 1;
  }

  async release(key: string, token: string): Promise<void> {
    await SCRIPT.release.run(this.o.redis, [...this.keys(key), token, this.channel, key], 3);
  }

  private async renew(): Promise<void> {
    for (const sem of this.sems.values()) {
      const held = [...sem.held];
      const waiting = sem.waitingTokens;
      if (held.length + waiting.length === 0) continue;
      const [holders, , waiters] = this.keys(sem.key);
      try {
        const lost = (await SCRIPT.renew.run(this.o.redis, [holders, waiters, this.o.leaseMs, ...held, "|", ...waiting], 2)) as string[];
        if (lost.length > 0) this.o.log.warn({ bottleneck: sem.key, lost: lost.length }, "limit slots' leases ran out while held (Redis unreachable or the process stalled)");
      } catch (err) {
        this.o.log.warn({ err: String(err), bottleneck: sem.key }, "limit leases not renewed");
      }
    }
  }

  async read(key: string, limit: number): Promise<LimitView> {
    const [now, scored, info, waiters] = (await SCRIPT.read.run(this.o.redis, this.keys(key), 3)) as [number, string[], string[], number];
    const who = new Map<string, { instance?: string; job?: string; step?: string }>();
    for (let i = 0; i + 1 < info.length; i += 2) who.set(info[i]!, JSON.parse(info[i + 1]!) as { instance?: string });
    const holders: LimitView["holders"] = [];
    for (let i = 0; i + 1 < scored.length; i += 2) {
      const w = who.get(scored[i]!) ?? {};
      holders.push({ instance: w.instance ?? scored[i]!.split("|")[0]!, job: w.job ?? "", step: w.step ?? "", expiresMs: Number(scored[i + 1]) });
    }
    void now;
    return { bottleneck: key, limit, holders, waiters: Number(waiters) };
  }

  close(): void {
    clearInterval(this.renewer);
    this.sub.disconnect();
  }
}

/**
 * One concurrency limit per bottleneck (image back end, target host, HIL, boot-service) instead of one global
 * number: a slow HIL must not starve clones, and tgtd, which serves one request at a time, must not be flooded.
 * With `shared` the limits are held in Redis with leases, so N orchestrators together respect them and a crashed
 * holder's slots come back after one lease; without it they are per process (tests of the engine alone).
 * Keys are a bottleneck ("target") or a bottleneck of one instance of it ("target-host:h1", limited by
 * `limits["target-host"]`).
 */
export class Limiter {
  private readonly sems = new Map<string, Semaphore>();
  private readonly shared: RedisLimits | undefined;

  constructor(private readonly limits: Partial<Record<string, number>>, shared?: SharedLimits) {
    this.shared = shared && new RedisLimits(shared);
    for (const [name, n] of Object.entries(limits)) {
      if (n && n > 0 && !this.shared) this.sems.set(name, new Semaphore(n));
    }
  }

  private limitOf(key: string): number | undefined {
    const n = this.limits[key] ?? this.limits[key.split(":")[0]!];
    return n && n > 0 ? n : undefined;
  }

  run<T>(bottleneck: string, fn: () => Promise<T>, who: HolderInfo = {}): Promise<T> {
    const limit = this.limitOf(bottleneck);
    if (limit === undefined) return fn();
    const waited = limiterWaitSeconds.startTimer({ bottleneck });
    const admitted = () => {
      waited();
      limiterAdmitted.inc({ bottleneck });
      return fn();
    };
    if (this.shared) {
      let sem = this.shared.sems.get(bottleneck);
      if (!sem) this.shared.sems.set(bottleneck, sem = new SharedSemaphore(this.shared, bottleneck, limit));
      return sem.run(admitted, who);
    }
    let sem = this.sems.get(bottleneck);
    if (!sem) this.sems.set(bottleneck, sem = new Semaphore(limit));
    return sem.run(admitted);
  }

  /** This instance's own share: slots it holds and steps it has waiting, per bottleneck. */
  stats(): Record<string, { active: number; waiting: number }> {
    const sems = this.shared ? this.shared.sems : this.sems;
    return Object.fromEntries([...sems].map(([k, s]) => [k, s.stats]));
  }

  /** Every bottleneck as all orchestrators hold it (shared limits), or this process's (without). */
  async view(): Promise<LimitView[]> {
    if (!this.shared) {
      return [...this.sems].map(([k, s]) => ({ bottleneck: k, limit: this.limitOf(k) ?? 0, holders: [], waiters: s.stats.waiting }));
    }
    const keys = new Set([...Object.keys(this.limits).filter((k) => k !== "target-host"),
      ...(await this.shared.o.redis.smembers(this.shared.known))]);
    const out: LimitView[] = [];
    for (const k of [...keys].sort()) {
      const limit = this.limitOf(k);
      if (limit !== undefined) out.push(await this.shared.read(k, limit));
    }
    return out;
  }

  close(): void {
    this.shared?.close();
  }
}
