import type { Logger } from "@bmi/log";
import type { JobRunner } from "./runner";
import type { Claimed, ClaimTicket, Claimer, JobStore, Lease } from "./store";
import { sleep } from "./retry";

export interface WorkerOptions {
  /** Unique per process: leases and in-flight events are recorded under it. */
  instance: string;
  leaseMs: number;
  /** Jobs this instance runs at once (bulk children included). */
  capacity: number;
  /** How often an idle instance looks for work created elsewhere or left by a dead instance. */
  idlePollMs: number;
}

interface Active { fence: number; abort: AbortController; done: Promise<void> }

/**
 * Claims jobs from Redis up to its capacity, runs them, and renews their leases. When renewing fails for longer
 * than a lease, it stops its own jobs: another instance may already own them (self-fencing).
 */
export class Worker implements Claimer {
  private readonly active = new Map<string, Active>();
  /** Room promised to creates in flight (tickets not yet adopted). */
  private reserved = 0;
  private handBack = true;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loops: Promise<void>[] = [];
  private lastRenew = Date.now();
  private poked = false;
  private readonly stopping = new AbortController();
  private readonly draining = new AbortController();

  constructor(private readonly store: JobStore, private readonly runner: JobRunner,
    private readonly opts: WorkerOptions, private readonly log: Logger) {}

  start(): void {
    this.loops = [this.claimLoop(), this.renewLoop()];
  }

  /** Look for work now (a job was created or finished here). */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Room for a job a create makes here, which the create script then claims for this instance (JobStore.create). */
  ticket(): ClaimTicket | undefined {
    if (this.loops.length === 0 || this.stopped || this.active.size + this.reserved >= this.opts.capacity) return undefined;
    this.reserved++;
    let open = true;
    return {
      instance: this.opts.instance,
      leaseMs: this.opts.leaseMs,
      adopt: (lease) => {
        if (!open) return;
        open = false;
        this.reserved--;
        if (!lease) return;
        // Stopped meanwhile: hand the lease back as stop() does (or leave it to run out, as after a crash).
        if (this.stopped) {
          if (this.handBack) this.store.release([lease]).catch((err: Error) => this.log.warn({ err: err.message }, "could not hand a lease back"));
          return;
        }
        this.launch(lease);
      },
    };
  }

  get running(): number {
    return this.active.size;
  }

  /**
   * Stops claiming, stops the running jobs where they are and hands their leases back for another instance.
   * Without handing back, the jobs wait for their leases to run out, as after a crash.
   */
  async stop(opts: { handBack?: boolean; graceMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.handBack = opts.handBack !== false;
    this.stopping.abort();
    this.poke();
    const leases: Lease[] = [...this.active].map(([id, a]) => ({ id, fence: a.fence }));
    const running = [...this.active.values()];
    if (opts.handBack !== false) {
      // Let each job finish the step it is in; a step that outlasts the grace period is cut off and redone.
      this.draining.abort();
      await Promise.race([Promise.allSettled(running.map((a) => a.done)), sleep(opts.graceMs ?? 5000)]);
    }
    for (const a of running) a.abort.abort();
    await Promise.allSettled(running.map((a) => a.done));
    if (opts.handBack !== false) {
      await this.store.release(leases).catch((err: Error) => this.log.warn({ err: err.message }, "could not hand leases back"));
    }
    await Promise.allSettled(this.loops);
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopped) {
      const free = this.opts.capacity - this.active.size - this.reserved;
      const asked = Math.min(Math.max(free, 0), 64);
      let claimed = 0;
      if (asked > 0) {
        try {
          const leases = await this.store.claim(this.opts.instance, this.opts.leaseMs, asked);
          for (const lease of leases) this.launch(lease);
          claimed = leases.length;
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, "claiming jobs failed");
        }
      }
      // Fewer than asked: nothing else was claimable. Whatever becomes so here pokes (poked stays set while a claim
      // is in flight), other instances' jobs are found at the next poll.
      if (claimed < asked || asked === 0) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.poked) {
      this.poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(done, this.opts.idlePollMs);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wake = undefined;
        self.poked = false;
        resolve();
      }
      this.wake = done;
    });
  }

  private launch(lease: Claimed): void {
    this.active.get(lease.id)?.abort.abort();
    const abort = new AbortController();
    // Only a bulk child's end can make more work claimable (its finish releases the next child, or rolls one back).
    // A lone job's end leaves nothing to claim: looking cost two claim scripts per single provision, at its end,
    // as its watcher and the caller's GetJob read. A full worker looks once it has room again.
    const releases = lease.job === undefined || lease.job.parent !== "";
    const done = this.runner.run(lease, abort.signal, this.draining.signal)
      .catch((err: unknown) => this.log.error({ err, job: lease.id }, "job run crashed; it resumes when its lease runs out"))
      .finally(() => {
        const full = this.active.size + this.reserved >= this.opts.capacity;
        if (this.active.get(lease.id)?.abort === abort) this.active.delete(lease.id);
        if (releases || full) this.poke();
      });
    this.active.set(lease.id, { fence: lease.fence, abort, done });
  }

  private async renewLoop(): Promise<void> {
    const every = Math.max(50, Math.floor(this.opts.leaseMs / 3));
    while (!this.stopped) {
      await sleep(every, this.stopping.signal);
      if (this.stopped) break;
      const leases = [...this.active].map(([id, a]) => ({ id, fence: a.fence }));
      try {
        const lost = await this.store.renew(this.opts.leaseMs, leases);
        this.lastRenew = Date.now();
        for (const id of lost) this.drop(id, "lease lost");
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "renewing leases failed");
        if (Date.now() - this.lastRenew > this.opts.leaseMs) for (const id of [...this.active.keys()]) this.drop(id, "leases expired");
      }
    }
  }

  private drop(id: string, why: string): void {
    const a = this.active.get(id);
    if (!a) return;
    this.log.warn({ job: id, why }, "stopping a job this instance no longer owns");
    a.abort.abort();
    this.active.delete(id);
  }
}
