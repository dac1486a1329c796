import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { AbortedError, UnavailableError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { evalLua, loadLua, type Redis } from "@bmi/redis";
import type { Locks, Mode } from "../keyed-locks";

// Every script reads the clock of Redis (TIME), never of the caller: instances on hosts whose clocks differ agree on
// when a lease ends. KEYS: the writer key, the readers' sorted set (member -> lease end), the token counter (one for
// all names: a later holder of any lock always has a larger token), the waiting-writer mark (new readers wait behind
// a writer, so a stream of disks cloned from an image cannot starve that image's deletion). The scripts are the .lua
// files in ./lua; lock-acquire and lock-renew start with now.lua.
const NOW = loadLua(__dirname, "lua/now");

// ARGV: mode, member (this acquisition's id), lease ms, waiting-mark ms. Answers the token, or 0 when busy.
const ACQUIRE = NOW + loadLua(__dirname, "lua/lock-acquire");

// KEYS: (writer key, readers' set) per lease; ARGV: lease ms, then (mode, member#token) per lease. Extends every
// lease that is still this holder's; answers the 1-based index of the first one that is not (lost), or 0.
const RENEW = NOW + loadLua(__dirname, "lua/lock-renew");

// KEYS: writer key, readers' set; ARGV: mode, member#token. Only this holder's own lease is removed.
const RELEASE = loadLua(__dirname, "lua/lock-release");

interface Lease {
  key: string;
  mode: Mode;
  /** acquisition id # fencing token: what Redis holds for this lease. */
  member: string;
  token: number;
  /** Set when a renewal found the lease gone, or could not reach Redis before it ran out. */
  lost: boolean;
  /** Local time by which the lease runs out unless renewed (a renewal that Redis answered moves it). */
  until: number;
}

export interface RedisLocksOptions {
  /** Key prefix, ending in ':'; every instance sharing a pool must use the same one. */
  prefix: string;
  /** This instance's id (in every lease, for operators reading Redis). */
  instance: string;
  /** How long a lease lasts unless renewed; renewed every third of it while its operation runs. */
  leaseMs: number;
  log: Logger;
}

/**
 * Readers/writer locks by name in Redis, shared by every image-service instance on one pool. Each grant is a lease
 * with a fencing token: renewed while the operation runs, taken over by others once its holder stops renewing (a
 * crash, a pause, a partition). `fence()` (called by the driver just before it commits) renews every lease the
 * calling operation holds in one script and refuses with ABORTED if one is no longer its own, so an old holder that
 * wakes up after a takeover never commits. After a successful fence the lease runs a whole `leaseMs` again: the
 * commit (one rename) must complete within it, which a process stopped for longer than the lease between the
 * fence and the rename would not (the residual window, documented in the README).
 */
export class RedisLocks implements Locks {
  private readonly held = new AsyncLocalStorage<Lease[]>();
  private readonly leases = new Set<Lease>();
  private readonly timer: NodeJS.Timeout;
  private seq = 0;

  constructor(private readonly redis: Redis, private readonly opts: RedisLocksOptions) {
    this.timer = setInterval(() => void this.renewAll(), Math.max(50, Math.floor(opts.leaseMs / 3)));
    this.timer.unref();
  }

  async with<T>(keys: Array<[string, Mode]>, fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Map(keys)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const taken: Lease[] = [];
    try {
      for (const [key, mode] of sorted) taken.push(await this.acquire(key, mode));
      return await this.held.run([...(this.held.getStore() ?? []), ...taken], fn);
    } finally {
      for (const lease of taken.reverse()) this.release(lease);
    }
  }

  async hold(key: string, mode: Mode): Promise<() => void> {
    const lease = await this.acquire(key, mode);
    return () => this.release(lease);
  }

  async fence(): Promise<void> {
    const leases = this.held.getStore() ?? [];
    if (leases.length === 0) return;
    const lost = leases.find((l) => l.lost || Date.now() > l.until) ?? await this.renew(leases);
    if (lost) {
      lost.lost = true;
      throw new AbortedError(`the lock on ${lost.key} was lost (held past its lease, token ${lost.token}): not committed; retry`);
    }
  }

  /** The locks the calling operation holds (its names, for logs and tests). */
  heldKeys(): string[] {
    return (this.held.getStore() ?? []).map((l) => l.key);
  }

  /** Stops renewing; leases still held run out in Redis. */
  close(): void {
    clearInterval(this.timer);
  }

  private async acquire(key: string, mode: Mode): Promise<Lease> {
    const member = `${this.opts.instance}.${++this.seq}.${randomBytes(3).toString("hex")}`;
    const [w, r, seq, waiting] = this.keys(key);
    // Short waits first (most locks are held for milliseconds), then at most 250 ms between tries.
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      const token = Number(await evalLua(this.redis, ACQUIRE, 4, w, r, seq, waiting, mode, member, this.opts.leaseMs, 1000)
        .catch(redisDown(`lock ${key}`)));
      if (token > 0) {
        const lease: Lease = { key, mode, member: `${member}#${token}`, token, lost: false, until: started + this.opts.leaseMs };
        this.leases.add(lease);
        return lease;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random())));
    }
  }

  private release(lease: Lease): void {
    this.leases.delete(lease);
    const [w, r] = this.keys(lease.key);
    // Not awaited: a release that fails leaves a lease that runs out by itself.
    evalLua(this.redis, RELEASE, 2, w, r, lease.mode, lease.member)
      .catch((err: unknown) => this.opts.log.warn({ err, lock: lease.key }, "lock not released; it runs out with its lease"));
  }

  /** Renews `leases` in one script; answers the first that is no longer this holder's. */
  private async renew(leases: Lease[]): Promise<Lease | undefined> {
    const started = Date.now();
    const keys = leases.flatMap((l) => this.keys(l.key).slice(0, 2));
    const lostAt = Number(await evalLua(this.redis, RENEW, keys.length, ...keys, this.opts.leaseMs, ...leases.flatMap((l) => [l.mode, l.member]))
      .catch(redisDown(`lock ${leases[0]?.key ?? ""}`)));
    if (lostAt > 0) return leases[lostAt - 1];
    for (const l of leases) l.until = started + this.opts.leaseMs;
    return undefined;
  }

  private async renewAll(): Promise<void> {
    for (const lease of [...this.leases]) {
      if (lease.lost) continue;
      try {
        const lost = await this.renew([lease]);
        if (lost) {
          lost.lost = true;
          this.opts.log.warn({ lock: lease.key, token: lease.token }, "lock lost: its lease ran out and another holder may have it");
        }
      } catch (err) {
        // Redis unreachable: the lease counts as lost once its time is up, whatever Redis says later.
        if (Date.now() > lease.until) lease.lost = true;
        this.opts.log.warn({ err, lock: lease.key }, "lock not renewed");
      }
    }
  }

  private keys(key: string): [string, string, string, string] {
    const base = `${this.opts.prefix}lock:${key}`;
    return [`${base}:w`, `${base}:r`, `${this.opts.prefix}lock-token`, `${base}:waiting`];
  }
}

/**
 * Redis unreachable (or failing) while taking or checking a lock: UNAVAILABLE, which callers retry, instead of the
 * INTERNAL an ioredis error would become. Nothing was committed: the fence runs before the commit.
 */
function redisDown(what: string): (err: unknown) => never {
  return (err: unknown) => {
    throw new UnavailableError(`redis: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  };
}
