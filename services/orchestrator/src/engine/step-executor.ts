import type { StepName } from "./plan";
import type { JobView, StepRecord } from "./types";

/** What a step implementation gets: the job, its earlier steps' results, and ways to notice it should stop. */
export interface StepContext {
  job: JobView;
  step: StepName;
  /** 1 for the first try; a resumed or retried step sees a higher number (its earlier try may have acted). */
  attempt: number;
  /** Every step of the job as recorded so far, by name (outputs and secrets of earlier steps). */
  steps: ReadonlyMap<string, StepRecord>;
  /** Aborts when this instance loses the job (lease lost, shutdown). */
  signal: AbortSignal;
  /** True once the job is being cancelled; for steps that wait a long time. */
  cancelled(): Promise<boolean>;
}

/** What a step leaves for callers (outputs) and for later steps (secrets), each written by its codec (outputs.ts). */
export interface StepResult {
  outputs?: Record<string, string>;
  secrets?: Record<string, string>;
}

/**
 * Runs and undoes the steps of the plans (plan.ts) against the real services. Both must be idempotent: a step may
 * run again after a crash, and undo may run for a step that was only half done (or never reached its service).
 * Errors are @bmi/errors: UNAVAILABLE, ABORTED and DEADLINE_EXCEEDED are retried with backoff, anything else
 * fails the job.
 */
export interface StepExecutor {
  run(ctx: StepContext): Promise<StepResult>;
  undo(ctx: StepContext): Promise<void>;
  /**
   * True when the step, as its earlier steps left things, will call nothing (a power-off of a node without power
   * control): it then takes no slot of its bottleneck and waits for none.
   */
  idle?(ctx: StepContext): boolean;
}
