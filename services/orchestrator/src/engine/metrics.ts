import { counter, gauge, histogram } from "@bmi/metrics";
import type { Limiter } from "./limiter";

/** Jobs this instance ended, by kind and final state, timed from creation (queueing included) to the end. */
export const jobSeconds = histogram("bmi_job_seconds", "jobs ended by this orchestrator, from creation to end", ["kind", "state"]);

/**
 * Step attempts by job kind, step and outcome: ok, retry (failed, tried again), failed (for good), undone,
 * undo_failed. Timed from the attempt's start, the limiter's wait included (see bmi_limiter_wait_seconds).
 */
export const stepSeconds = histogram("bmi_step_seconds", "step attempts and undos, by job kind, step and outcome", ["kind", "step", "outcome"]);

/** How long a step waited for its bottleneck's slot before it ran. */
export const limiterWaitSeconds = histogram("bmi_limiter_wait_seconds", "time a step waited for a bottleneck's slot", ["bottleneck"]);

export const limiterAdmitted = counter("bmi_limiter_admitted_total", "steps let through a bottleneck's limit", ["bottleneck"]);

/** The limiter's queue and running steps, read when Prometheus scrapes; answers the function that stops it. */
export function watchLimiter(limiter: Limiter): () => void {
  limiterState.add(limiter);
  return () => limiterState.delete(limiter);
}

const limiterState = new Set<Limiter>();
gauge("bmi_limiter_waiting", "steps queued behind a bottleneck's limit", ["bottleneck"], (g) => {
  g.reset();
  for (const l of limiterState) for (const [k, s] of Object.entries(l.stats())) g.inc({ bottleneck: k }, s.waiting);
});
gauge("bmi_limiter_active", "steps running inside a bottleneck's limit", ["bottleneck"], (g) => {
  g.reset();
  for (const l of limiterState) for (const [k, s] of Object.entries(l.stats())) g.inc({ bottleneck: k }, s.active);
});
