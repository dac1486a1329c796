import type { PromiseClient } from "@bmi/grpc";
import { JobState, type Job, type OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";

const DONE = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED]);

/** Polls the job until it has finished (succeeded, failed or cancelled); throws after `timeoutMs`. */
export async function waitJob(orch: PromiseClient<OrchestratorClient>, id: string, timeoutMs = 120_000): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { job } = await orch.getJob({ id });
    if (job && DONE.has(job.state)) return job;
    if (Date.now() > until) throw new Error(`job ${id} not finished within ${timeoutMs} ms: ${JSON.stringify(job?.steps.map((s) => [s.name, s.state]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The job's result, or an error that says which step failed and why. */
export function assertSucceeded(job: Job): Job {
  if (job.state === JobState.JOB_STATE_SUCCEEDED) return job;
  const failed = job.steps.filter((s) => s.error).map((s) => `${s.name}: ${s.error}`);
  throw new Error(`job ${job.id} (${job.node || "bulk"}) ended ${JobState[job.state]}: ${job.error}${failed.length ? `; ${failed.join("; ")}` : ""}`);
}

/** Milliseconds each step took, in the job's order. */
export function stepTimings(job: Job): Array<{ step: string; ms: number }> {
  return job.steps.map((s) => ({ step: s.name, ms: s.started && s.finished ? s.finished.getTime() - s.started.getTime() : 0 }));
}

/** An output of a step (disk name, target IQN, ...). */
export function stepOutput(job: Job, step: string, key: string): string | undefined {
  return job.steps.find((s) => s.name === step)?.outputs[key];
}
