import type { Logger } from "@bmi/log";
import type { StepExecutor, StepContext } from "./step-executor";
import type { Limiter, SlotRef } from "./limiter";
import { bottleneckOf, isUndoable, type StepName } from "./plan";
import { backoffMs, shouldRetry, sleep, type RetryPolicy } from "./retry";
import { failureEffects, successEffects } from "./outcome";
import { stepFailed, stepStarted, stepSucceeded, stepUndone, type EventBody } from "./events";
import type { FinishOp, JobStore, Lease, TransitionOp } from "./store";
import type { JobQueries } from "./queries";
import { jobSeconds, stepSeconds } from "./metrics";
import { TERMINAL, type JobRecord, type JobState, type StepRecord } from "./types";

export interface RunnerDeps {
  store: JobStore;
  queries: JobQueries;
  executor: StepExecutor;
  limiter: Limiter;
  retry: RetryPolicy;
  log: Logger;
}

/** Thrown inside a run when this instance no longer owns the job: stop at once, touch nothing. */
class LostJob extends Error {}

const ACTIVE: JobState[] = ["PENDING", "RUNNING"];
const UNWINDING: JobState[] = ["RUNNING", "CANCELLING"];

/**
 * Runs one claimed job to its end: each step's start is recorded before it is attempted and its result before the
 * next one starts (a resumed job skips what succeeded and re-runs what was in flight); transient errors are
 * retried with backoff; a permanent failure or a cancel undoes the completed and half-done steps in reverse.
 * Writes are coalesced: a step's result travels with the next step's start, which is the moment it must be durable.
 */
export class JobRunner {
  constructor(private readonly deps: RunnerDeps) {}

  /**
   * `signal` stops the job at once (lease lost); `drain` stops it before its next step (graceful shutdown: no step
   * is left half done for the next owner).
   */
  async run(lease: Lease & { job?: JobRecord | undefined }, signal: AbortSignal, drain: AbortSignal = new AbortController().signal): Promise<void> {
    // A claim answers the job as it found it (one round trip less per job); read it otherwise.
    const job = "job" in lease ? lease.job : await this.deps.queries.job(lease.id);
    if (!job || TERMINAL.has(job.state)) return;
    const run = new Run(this.deps, job, lease, signal, drain);
    try {
      await run.execute();
    } catch (err) {
      if (err instanceof LostJob || signal.aborted) {
        this.deps.log.info({ job: job.id }, "job left to another owner");
        return;
      }
      throw err;
    }
  }
}

class Run {
  private readonly steps: Map<StepName, StepRecord>;
  private pending: { steps: StepRecord[]; events: EventBody[] } = { steps: [], events: [] };
  /** The limiter slot of the step that just succeeded: released by the next write (its result's). */
  private slot: SlotRef | undefined;

  constructor(private readonly d: RunnerDeps, private readonly job: JobRecord, private readonly lease: Lease,
    private readonly signal: AbortSignal, private readonly drain: AbortSignal) {
    this.steps = new Map(job.steps.map((s) => [s.name, s]));
  }

  async execute(): Promise<void> {
    if (this.job.state === "CANCELLING") return this.unwind("CANCELLED", this.job.cancelReason || "cancelled");
    for (const rec of this.job.steps) {
      if (rec.state === "SUCCEEDED" || rec.state === "SKIPPED") continue;
      const outcome = await this.attempt(rec.name);
      if (outcome === "ok") continue;
      // A step that gave up because the job is being cancelled (a boot wait) ends it CANCELLED, not FAILED.
      const now = await this.d.queries.job(this.job.id);
      if (outcome === "cancel" || now?.state === "CANCELLING") return this.unwind("CANCELLED", now?.cancelReason || "cancelled");
      return this.unwind("FAILED", outcome.error);
    }
    const effects = successEffects(this.job, this.steps);
    await this.write("finish", { expect: ACTIVE, state: "SUCCEEDED", error: "", ...effects });
  }

  /** Runs a step until it succeeds, fails for good, or the job is cancelled. */
  private async attempt(name: StepName): Promise<"ok" | "cancel" | { error: string }> {
    for (;;) {
      if (this.drain.aborted) {
        // What is staged must not be lost: the next owner would redo a finished step (harmless) or, for a disk,
        // misread its own clone as someone else's.
        await this.write("transition", { expect: ACTIVE });
        throw new LostJob();
      }
      const prev = this.steps.get(name)!;
      const attempt = prev.attempts + 1;
      const started: StepRecord = { ...prev, state: "RUNNING", attempts: attempt, started: new Date().toISOString() };
      // The start record takes the step's limiter slot in the same script (and releases the last step's).
      // A step that will call nothing waits for no slot (a HIL slot held for a skipped power-off was 30-50 ms a node).
      const bottleneck = this.d.executor.idle?.(this.context(name, attempt)) ? "none" : bottleneckOf(this.job.kind, name);
      const who = { job: this.job.id, step: name };
      const request = this.d.limiter.request(bottleneck, who);
      const w = await this.write("transition", { expect: ACTIVE, state: "RUNNING", steps: [started], events: [stepStarted(name, attempt)],
        ...(request ? { acquire: request } : {}) });
      if (w.result === "CANCELLING") return "cancel";
      const t0 = performance.now();
      const timer = stepSeconds.startTimer({ kind: this.job.kind, step: name });
      try {
        // A slot kept after success is released by the next write (this step's result), not by a call of its own.
        const result = await this.d.limiter.run(bottleneck, () => this.d.executor.run(this.context(name, attempt)), who,
          { request, admitted: w.admitted }, (slot) => { this.slot = slot; });
        timer({ outcome: "ok" });
        this.stage({ ...started, state: "SUCCEEDED", error: "", finished: new Date().toISOString(),
          outputs: result.outputs ?? {}, secrets: result.secrets ?? {} },
        stepSucceeded(name, result.outputs ?? {}, performance.now() - t0));
        return "ok";
      } catch (err) {
        if (this.signal.aborted) throw new LostJob();
        const message = errorMessage(err);
        if (shouldRetry(this.d.retry, err, attempt)) {
          timer({ outcome: "retry" });
          this.stage({ ...started, error: message }, stepFailed(name, message, false));
          this.d.log.warn({ job: this.job.id, step: name, attempt, err: message }, "step failed, retrying");
          await sleep(backoffMs(this.d.retry, attempt), this.signal);
          continue;
        }
        timer({ outcome: "failed" });
        this.stage({ ...started, state: "FAILED", error: message, finished: new Date().toISOString() }, stepFailed(name, message, true));
        this.d.log.warn({ job: this.job.id, step: name, attempt, err: message }, "step failed");
        return { error: `${name}: ${message}` };
      }
    }
  }

  /** Undoes completed and half-done steps in reverse order, then ends the job. */
  private async unwind(final: "FAILED" | "CANCELLED", reason: string): Promise<void> {
    const undoErrors: string[] = [];
    if (isUndoable(this.job.kind)) {
      for (const rec of [...this.job.steps].reverse()) {
        const cur = this.steps.get(rec.name)!;
        if (cur.state !== "SUCCEEDED" && cur.state !== "RUNNING" && cur.state !== "FAILED") continue;
        const err = await this.undoStep(cur);
        if (err) undoErrors.push(`undo ${cur.name}: ${err}`);
        await this.write("transition", { expect: UNWINDING });
      }
    }
    const error = [reason, ...undoErrors].join("; ");
    const effects = failureEffects(this.job, undoErrors.length > 0);
    await this.write("finish", { expect: UNWINDING, state: undoErrors.length > 0 ? "FAILED" : final, error, ...effects });
  }

  private async undoStep(rec: StepRecord): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      const timer = stepSeconds.startTimer({ kind: this.job.kind, step: rec.name });
      try {
        await this.d.limiter.run(bottleneckOf(this.job.kind, rec.name), () => this.d.executor.undo(this.context(rec.name, attempt)));
        timer({ outcome: "undone" });
        this.stage({ ...rec, state: "UNDONE", finished: new Date().toISOString() }, stepUndone(rec.name));
        return undefined;
      } catch (err) {
        if (this.signal.aborted) throw new LostJob();
        const message = errorMessage(err);
        if (shouldRetry(this.d.retry, err, attempt)) {
          await sleep(backoffMs(this.d.retry, attempt), this.signal);
          continue;
        }
        timer({ outcome: "undo_failed" });
        this.d.log.error({ job: this.job.id, step: rec.name, err: message }, "undo failed: something may be left behind");
        this.stage({ ...rec, state: "FAILED", error: `undo failed: ${message}` }, stepFailed(rec.name, `undo failed: ${message}`, true));
        return message;
      }
    }
  }

  private context(step: StepName, attempt: number): StepContext {
    const { id, kind, project, node, spec, created, principal } = this.job;
    return {
      job: { id, kind, project, node, spec, created, principal }, step, attempt, steps: this.steps, signal: this.signal,
      cancelled: async () => (await this.d.queries.state(id)) === "CANCELLING",
    };
  }

  /** Keeps a step record (and its event) to be written with the next transition. */
  private stage(rec: StepRecord, event: EventBody): void {
    this.steps.set(rec.name, rec);
    this.pending.steps = this.pending.steps.filter((s) => s.name !== rec.name).concat(rec);
    this.pending.events.push(event);
  }

  private async write(kind: "transition" | "finish", op: TransitionOp | FinishOp): Promise<{ result: string; admitted: boolean }> {
    const own = op.steps ?? [];
    const release = this.slot ? [this.slot] : [];
    this.slot = undefined;
    const merged = { ...op, steps: [...this.pending.steps.filter((p) => !own.some((s) => s.name === p.name)), ...own],
      events: [...this.pending.events, ...(op.events ?? [])], ...(release.length > 0 ? { release } : {}) };
    if (this.signal.aborted) {
      for (const s of release) this.d.limiter.release(s);
      throw new LostJob();
    }
    let res: { result: string; admitted: boolean };
    try {
      res = kind === "finish" ? { result: await this.d.store.finish(this.lease, merged as FinishOp), admitted: false }
        : await this.d.store.transitionAcquire(this.lease, merged);
    } catch (err) {
      // Redis is unreachable: leave the job; its lease runs out and an owner resumes it from the last record.
      for (const s of release) this.d.limiter.release(s);
      this.d.log.warn({ job: this.job.id, err: errorMessage(err) }, "cannot record progress, leaving the job");
      throw new LostJob();
    }
    // Not written while CANCELLING: the staged records go with the first write of the undo.
    if (res.result === "CANCELLING") return res;
    if (res.result !== "OK") throw new LostJob();
    if (kind === "finish") this.ended((op as FinishOp).state);
    for (const s of own) this.steps.set(s.name, s);
    this.pending = { steps: [], events: [] };
    return res;
  }

  /** Counted once, by the instance whose write ended the job. */
  private ended(state: string): void {
    const created = Date.parse(this.job.created);
    if (Number.isFinite(created)) jobSeconds.observe({ kind: this.job.kind, state }, Math.max(0, Date.now() - created) / 1000);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
