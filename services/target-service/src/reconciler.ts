import { eachLimit } from "@bmi/async";
import type { Logger } from "@bmi/log";
import { isChapUser, ownsIqn, storeMarkerIqn, type IqnAuthority } from "./naming";
import type { Gate } from "./gate";
import { reconcileDrift, reconcilePasses } from "./metrics";
import { compare, judgeStore, refusalMessage, type Comparison } from "./store-check";
import { describe, withSecret, type TargetBackend, type TargetSpec, type TargetStore } from "./target";

const APPLY_CONCURRENCY = 4;
// tgtd's account delete walks every target (account-sweeper.ts): a pass that dropped hundreds at once would hold
// every create and delete behind it for seconds. The rest go in the next passes.
const STALE_ACCOUNTS_PER_PASS = 16;

/** With several target hosts (hosts/placed.ts): which specs this host serves, and a check of the live ones. */
export interface HostScope {
  wants(spec: TargetSpec): boolean;
  /** After a pass applied what was missing: `live` are the wanted specs tgtd already had (e.g. re-key them). */
  refresh(live: TargetSpec[]): Promise<void>;
}

export interface ReconcileResult {
  applied: number;
  removed: number;
  failed: number;
  /** Set when the store was not recognised and nothing was done. */
  refused?: string;
}

/**
 * Brings tgtd in line with the store: starts tgtd if it is not running, re-creates every wanted target it lacks
 * (tgtd forgets all of them when it restarts), removes targets of our IQN authority nobody wants and CHAP
 * accounts nobody uses. Runs every `intervalMs` and at once on `kick()` (tgtd exited, service started).
 * Targets outside our IQN authority belong to someone else and are never touched.
 *
 * Deleting is done only on the word of the store tgtd was built from (store-check.ts): an empty or foreign store
 * (Redis flushed or lost, another BMI_REDIS_PREFIX) that would delete targets is refused, and the service reports
 * NOT_SERVING until an operator adopts tgtd's targets or accepts the store (admin.ts).
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private queued: Promise<ReconcileResult> | undefined;
  private stopped = false;
  /** The last refusal logged: logged once, not every pass. */
  private refusal: string | undefined;
  healthy = false;

  constructor(
    private readonly store: TargetStore,
    private readonly backend: TargetBackend,
    private readonly authority: IqnAuthority,
    private readonly gate: Gate,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly onHealth: (healthy: boolean) => void = () => undefined,
    private readonly scope?: HostScope,
  ) {}

  /** Targets this host served after the last pass (every wanted one without host scope). */
  serving = 0;

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
    const result: ReconcileResult = { applied: 0, removed: 0, failed: 0 };
    try {
      await this.backend.ensureRunning();
      // Identity and specs at one instant: specs read from a flushed store must not pass as the marked store's.
      const { identity, specs: all } = await this.store.snapshot();
      const scope = this.scope;
      const wanted = scope ? all.filter((s) => scope.wants(s)) : all;
      this.serving = wanted.length;
      const listing = await this.backend.list();
      const seen = compare(this.authority, listing, wanted);
      const verdict = judgeStore(identity, seen, this.store.location);
      if (verdict.kind === "refuse") {
        this.store.follow(undefined);
        this.refuse(refusalMessage(verdict.problem, seen.doomed.length), identity, seen);
        this.setHealthy(false);
        reconcilePasses.inc({ result: "refused" });
        return { ...result, refused: verdict.problem };
      }
      this.store.follow(verdict.kind === "follow" ? verdict.id : await this.bind(seen));
      if (this.refusal !== undefined) this.log.info({ store: this.store.location }, "target store recognised again: reconciling");
      this.refusal = undefined;
      for (const t of seen.live) {
        const spec = wanted.find((s) => s.tid === t.tid);
        if (spec && !ownsIqn(this.authority, t.iqn)) {
          this.log.error({ tid: t.tid, iqn: t.iqn, wanted: spec.iqn }, "tid of a wanted target is taken by a foreign target");
        }
      }
      reconcileDrift.inc({ kind: "unwanted", action: "found" }, seen.doomed.length);
      for (const { target: t, reason } of seen.doomed) {
        const sessions = await this.backend.remove(t.tid);
        result.removed++;
        reconcileDrift.inc({ kind: "unwanted", action: "fixed" });
        this.log.warn({ tid: t.tid, iqn: t.iqn, sessions, reason }, "target removed");
      }
      // Nothing but this pass changes tgtd meanwhile (the gate): what it listed, less what it removed, is what tgtd has.
      const removed = new Set(seen.doomed.map((d) => d.target.tid));
      const present = new Set(listing.map((t) => t.tid).filter((tid) => !removed.has(tid)));
      const accounts = new Set(await this.backend.accounts());
      // Several targets at once: tgtd answers one request at a time, but starting each tgtadm costs more than
      // tgtd's work, and that part overlaps.
      const missing = wanted.filter((s) => !present.has(s.tid));
      reconcileDrift.inc({ kind: "missing", action: "found" }, missing.length);
      await eachLimit(missing, APPLY_CONCURRENCY, async (want) => {
        try {
          const spec = await withSecret(this.store, want);
          await this.backend.apply(spec, { accountExists: accounts.has(spec.chapUser), reverseExists: accounts.has(spec.reverse?.user ?? "") });
          result.applied++;
          reconcileDrift.inc({ kind: "missing", action: "fixed" });
        } catch (err) {
          result.failed++;
          reconcileDrift.inc({ kind: "missing", action: "failed" });
          this.log.error({ ...describe(want), err: String(err) }, "target could not be re-applied");
        }
      });
      if (scope) await scope.refresh(wanted.filter((s) => present.has(s.tid)));
      const users = new Set(wanted.flatMap((s) => [s.chapUser, ...(s.reverse ? [s.reverse.user] : [])]));
      const stale = [...accounts].filter((a) => isChapUser(a) && !users.has(a));
      for (const a of stale.slice(0, STALE_ACCOUNTS_PER_PASS)) {
        reconcileDrift.inc({ kind: "account", action: "found" });
        await this.backend.deleteAccount(a);
        reconcileDrift.inc({ kind: "account", action: "fixed" });
      }
      if (result.applied + result.removed > 0) this.log.info(result, "reconciled tgtd with the wanted targets");
      this.setHealthy(true);
      reconcilePasses.inc({ result: "ok" });
    } catch (err) {
      reconcilePasses.inc({ result: "error" });
      this.log.error({ err: String(err) }, "reconcile pass failed");
      this.setHealthy(false);
    }
    return result;
  }

  /**
   * Marks tgtd with the store (giving the store an identity if it has none), after moving the store's tid
   * counter past every tid tgtd uses: a store that starts again at 1 would hand out tids tgtd still serves.
   */
  private async bind(seen: Comparison): Promise<string> {
    const id = await this.store.claimIdentity();
    await this.store.reserveTids(Math.max(0, ...seen.live.map((t) => t.tid)));
    await this.backend.mark(storeMarkerIqn(this.authority, id), seen.marker?.tid);
    this.log.info({ store: this.store.location, storeId: id, was: seen.marker?.storeId ?? "none", targets: seen.live.length },
      "tgtd marked with the target store it follows");
    return id;
  }

  private refuse(message: string, identity: string | undefined, seen: Comparison): void {
    if (message === this.refusal) return;
    this.refusal = message;
    this.log.error({ store: this.store.location, storeId: identity ?? "none", tgtdStoreId: seen.marker?.storeId ?? "none",
      targets: seen.live.length, wouldDelete: seen.doomed.length }, message);
  }

  // Unhealthy is re-reported on every pass: the server marks itself SERVING when it starts listening, after the
  // first pass may already have failed.
  private setHealthy(healthy: boolean): void {
    if (healthy !== this.healthy || !healthy) this.onHealth(healthy);
    this.healthy = healthy;
  }
}
