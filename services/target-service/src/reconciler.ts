import type { Logger } from "@bmi/log";
import { isChapUser, ownsIqn, type IqnAuthority } from "./naming";
import type { Gate } from "./gate";
import { describe, matches, type TargetBackend, type TargetStore } from "./target";

const APPLY_CONCURRENCY = 4;

export interface ReconcileResult {
  applied: number;
  removed: number;
  failed: number;
}

/**
 * Brings tgtd in line with the store: starts tgtd if it is not running, re-creates every wanted target it lacks
 * (tgtd forgets all of them when it restarts), removes targets of our IQN authority nobody wants and CHAP
 * accounts nobody uses. Runs every `intervalMs` and at once on `kick()` (tgtd exited, service started).
 * Targets outside our IQN authority belong to someone else and are never touched.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private queued: Promise<ReconcileResult> | undefined;
  private stopped = false;
  healthy = false;

  constructor(
    private readonly store: TargetStore,
    private readonly backend: TargetBackend,
    private readonly authority: IqnAuthority,
    private readonly gate: Gate,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly onHealth: (healthy: boolean) => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.kick(), this.intervalMs);
    this.timer.unref();
    void this.kick();
  }

  /** No passes after this one, whoever kicks. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Answers a pass that starts after this call: joins one that is queued but not yet started, never one that is
   * already running (it may have read the state before the caller's change).
   */
  kick(): Promise<ReconcileResult> {
    this.queued ??= this.gate.exclusive(async () => {
      this.queued = undefined;
      return this.stopped ? { applied: 0, removed: 0, failed: 0 } : this.pass();
    });
    return this.queued;
  }

  private async pass(): Promise<ReconcileResult> {
    const result = { applied: 0, removed: 0, failed: 0 };
    try {
      await this.backend.ensureRunning();
      const wanted = await this.store.list();
      const live = await this.backend.list();
      for (const t of live) {
        const spec = wanted.find((s) => s.tid === t.tid);
        if (spec && matches(spec, t)) continue;
        if (!ownsIqn(this.authority, t.iqn)) {
          if (spec) this.log.error({ tid: t.tid, iqn: t.iqn, wanted: spec.iqn }, "tid of a wanted target is taken by a foreign target");
          continue;
        }
        const sessions = await this.backend.remove(t.tid);
        result.removed++;
        this.log.warn({ tid: t.tid, iqn: t.iqn, sessions, reason: spec ? "differs from its spec" : "not wanted" }, "target removed");
      }
      const present = new Set((await this.backend.list()).map((t) => t.tid));
      const accounts = new Set(await this.backend.accounts());
      // Several targets at once: tgtd answers one request at a time, but starting each tgtadm costs more than
      // tgtd's work, and that part overlaps.
      await inParallel(wanted.filter((s) => !present.has(s.tid)), APPLY_CONCURRENCY, async (spec) => {
        try {
          await this.backend.apply(spec, { accountExists: accounts.has(spec.chapUser) });
          result.applied++;
        } catch (err) {
          result.failed++;
          this.log.error({ ...describe(spec), err: String(err) }, "target could not be re-applied");
        }
      });
      const users = new Set(wanted.map((s) => s.chapUser));
      for (const a of accounts) {
        if (isChapUser(a) && !users.has(a)) await this.backend.deleteAccount(a);
      }
      if (result.applied + result.removed > 0) this.log.info(result, "reconciled tgtd with the wanted targets");
      this.setHealthy(true);
    } catch (err) {
      this.log.error({ err: String(err) }, "reconcile pass failed");
      this.setHealthy(false);
    }
    return result;
  }

  // Unhealthy is re-reported on every pass: the server marks itself SERVING when it starts listening, after the
  // first pass may already have failed.
  private setHealthy(healthy: boolean): void {
    if (healthy !== this.healthy || !healthy) this.onHealth(healthy);
    this.healthy = healthy;
  }
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}
