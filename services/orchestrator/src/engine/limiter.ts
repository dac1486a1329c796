import { randomBytes } from "node:crypto";
import { Semaphore } from "@bmi/async";
import type { Logger } from "@bmi/log";
import { loadLua, type Redis } from "@bmi/redis";
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

/** A slot held in Redis, to be released by the holder's next write (JobStore's `release`). */
export interface SlotRef {
  key: string;
  token: string;
}

/**
 * A slot asked for inside the step's start write (JobStore's `acquire`, lua/slots.lua): the bottleneck, the token
 * that holds it or waits for it, the limit, the lease and who asks (JSON for ListLimits).
 */
export interface SlotRequest extends SlotRef {
  limit: number;
  lease: number;
  who: string;
}

/** One bottleneck as Redis holds it: the slots in use (by any orchestrator) and the steps waiting. */
export interface LimitView {
  bottleneck: string;
  limit: number;
  holders: Array<{ instance: string; job: string; step: string; expiresMs: number }>;
  waiters: number;
}

// The slots' Lua (lua/slots.lua: keys, acquire, release, purge of expired holders) is shared with the engine's step
// writes, which take and release slots in the same script as the step's records. The limiter's own scripts follow it:
// lua/limiter/*.lua.
const SLOTS = loadLua(__dirname, "lua/slots");
/** slots.lua's functions, for scripts elsewhere that take or release a slot with their own writes (placement). */
export const SLOTS_LUA = SLOTS;
// ARGV: prefix, bottleneck, limit, leaseMs, then token, info JSON of each step queued, in queue order. Answers how
// many of them, from the first, hold a slot now; the others wait (one script admits every slot that is free).
const ACQUIRE = [SLOTS, loadLua(__dirname, "lua/limiter/acquire")].join("\n");
// ARGV: prefix, bottleneck, token.
const RELEASE = [SLOTS, loadLua(__dirname, "lua/limiter/release")].join("\n");
// KEYS: holders, waiters. ARGV: leaseMs, tokens held..., "|", tokens waiting... Answers the held tokens lost.
const RENEW = [SLOTS, loadLua(__dirname, "lua/limiter/renew")].join("\n");
// KEYS: holders, info, waiters. Answers now, holders with scores, their info, the waiter count.
const READ = [SLOTS, loadLua(__dirname, "lua/limiter/read")].join("\n");
// Sent by SHA: every step acquires and releases, and the script text on each would be most of the bytes written.
const SCRIPT = { acquire: new Script(ACQUIRE), release: new Script(RELEASE), renew: new Script(RENEW), read: new Script(READ) };

/**
 * A bottleneck's slots in Redis, shared by every orchestrator: this instance's steps queue here in arrival order
 * and the first of them (as many as the limit) ask Redis for slots in one script, again whenever any instance
 * releases one (pub/sub; one heard while asking counts too) and at least every `RETRY_MS` (a crashed holder's
 * lease running out releases nothing). A step whose start write took its slot (`Limiter.request`) skips the queue.
 */
class SharedSemaphore {
  private readonly queue: Array<{ token: string; info: string; admit: () => void; fail: (err: unknown) => void }> = [];
  readonly held = new Set<string>();
  private pumping = false;
  private wake: (() => void) | undefined;
  /** A release was heard while the head's acquire was in flight: it asks again at once instead of waiting. */
  private missed = false;

  constructor(private readonly lim: RedisLimits, readonly key: string, readonly limit: number) {}

  newToken(): string {
    return this.lim.token();
  }

  /**
   * Runs `fn` in a slot: `slot.admitted` when the caller's own write took it already (engine step writes), otherwise
   * queued here under `slot.token` (or a new one). With `keep`, the slot of an `fn` that succeeded is handed to
   * `keep` instead of released: the caller's next write releases it.
   */
  async run<T>(fn: () => Promise<T>, who: HolderInfo, slot?: { token: string; admitted: boolean }, keep?: (s: SlotRef) => void): Promise<T> {
    const token = slot?.token ?? this.newToken();
    if (!slot?.admitted) {
      await new Promise<void>((admit, fail) => {
        this.queue.push({ token, info: infoOf(this.lim.o.instance, who), admit, fail });
        void this.pump();
      });
    }
    this.held.add(token);
    let ok = false;
    try {
      const res = await fn();
      ok = true;
      return res;
    } finally {
      this.held.delete(token);
      if (ok && keep) keep({ key: this.key, token });
      else await this.lim.release(this.key, token).catch((err: unknown) => this.lim.releaseFailed(this.key, err));
    }
  }

  get queued(): boolean {
    return this.queue.length > 0;
  }

  get waitingTokens(): string[] {
    return this.queue.map((q) => q.token);
  }

  get stats(): { active: number; waiting: number } {
    return { active: this.held.size, waiting: this.queue.length };
  }

  /** A slot was released somewhere: the first steps queued ask again now. */
  released(): void {
    if (this.wake) this.wake();
    else this.missed = true;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        // The first steps queued, as many as the limit: one script admits all those that fit.
        const heads = this.queue.slice(0, this.limit);
        let admitted: number;
        this.missed = false;
        try {
          admitted = await this.lim.acquire(this.key, this.limit, heads);
        } catch (err) {
          // Redis unreachable: the steps fail as transient and are retried by the engine.
          // (Only the pump takes steps off the queue, from its front: `heads` are still its first entries.)
          for (const h of this.queue.splice(0, heads.length)) h.fail(err);
          continue;
        }
        for (const h of this.queue.splice(0, admitted)) h.admit();
        if (admitted === heads.length) continue;
        // The slot released during the acquire may be free now: waiting would lose it until the next poll.
        if (this.missed) continue;
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

function infoOf(instance: string, who: HolderInfo): string {
  return JSON.stringify({ instance, ...who });
}

/** The Redis side of shared limits: keys, the release channel, lease renewal. */
class RedisLimits {
  private readonly sub: Redis;
  private readonly renewer: NodeJS.Timeout;
  readonly sems = new Map<string, SharedSemaphore>();
  private tokens = 0;
  // Tokens of a restarted instance with a configured name (BMI_ORCH_INSTANCE) must not meet its old ones' leases.
  private readonly base = `${randomBytes(4).toString("hex")}.`;

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

  /** Answers how many of `steps` (from the first) were admitted. */
  async acquire(key: string, limit: number, steps: Array<{ token: string; info: string }>): Promise<number> {
    return Number(await SCRIPT.acquire.run(this.o.redis, [this.o.prefix, key, limit, this.o.leaseMs, ...steps.flatMap((q) => [q.token, q.info])]));
  }

  async release(key: string, token: string): Promise<void> {
    await SCRIPT.release.run(this.o.redis, [this.o.prefix, key, token]);
  }

  /** A holder token: this instance's name (unique per process) and a count (random bytes per step cost more CPU). */
  token(): string {
    return `${this.o.instance}|${this.base}${(this.tokens++).toString(36)}`;
  }

  releaseFailed(key: string, err: unknown): void {
    this.o.log.warn({ err: String(err), bottleneck: key }, "limit slot not released: it comes back when its lease runs out");
  }

  semaphore(key: string, limit: number): SharedSemaphore {
    let sem = this.sems.get(key);
    if (!sem) this.sems.set(key, sem = new SharedSemaphore(this, key, limit));
    return sem;
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

  /**
   * A slot of `bottleneck` for the caller's own write to ask for (a step's start, JobStore `acquire`), or undefined
   * when there is nothing to ask Redis (no limit, or limits per process) or steps already wait for it here (they
   * go first: this one queues behind them in `run`).
   */
  request(bottleneck: string, who: HolderInfo = {}): SlotRequest | undefined {
    const limit = this.limitOf(bottleneck);
    if (limit === undefined || !this.shared) return undefined;
    const sem = this.shared.semaphore(bottleneck, limit);
    if (sem.queued) return undefined;
    return { key: bottleneck, token: sem.newToken(), limit, lease: this.shared.o.leaseMs, who: infoOf(this.shared.o.instance, who) };
  }

  /**
   * Runs `fn` within the bottleneck's limit. `asked` is the slot the caller's write asked for (`request`) and
   * whether that write took it; `keep` takes the slot of an `fn` that succeeded instead of releasing it, for the
   * caller's next write to release (`release` if no write comes).
   */
  run<T>(bottleneck: string, fn: () => Promise<T>, who: HolderInfo = {},
    asked?: { request: SlotRequest | undefined; admitted: boolean }, keep?: (s: SlotRef) => void): Promise<T> {
    const limit = this.limitOf(bottleneck);
    if (limit === undefined) return fn();
    const waited = limiterWaitSeconds.startTimer({ bottleneck });
    const admitted = () => {
      waited();
      limiterAdmitted.inc({ bottleneck });
      return fn();
    };
    if (this.shared) {
      const sem = this.shared.semaphore(bottleneck, limit);
      const slot = asked?.request ? { token: asked.request.token, admitted: asked.admitted } : undefined;
      return sem.run(admitted, who, slot, keep);
    }
    let sem = this.sems.get(bottleneck);
    if (!sem) this.sems.set(bottleneck, sem = new Semaphore(limit));
    return sem.run(admitted);
  }

  /** Releases a slot `run` handed to `keep`, when no write will (the job stopped). */
  release(slot: SlotRef): void {
    void this.shared?.release(slot.key, slot.token).catch((err: unknown) => this.shared?.releaseFailed(slot.key, err));
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
