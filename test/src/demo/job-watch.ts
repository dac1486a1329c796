import type { PromiseClient } from "@bmi/grpc";
import { JobState, StepState, type Job, type OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { assertSucceeded } from "../e2e/jobs";
import type { Progress } from "./progress";

const DONE = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED]);
const MARK: Partial<Record<StepState, string>> = {
  [StepState.STEP_STATE_SUCCEEDED]: "ok", [StepState.STEP_STATE_FAILED]: "FAILED",
  [StepState.STEP_STATE_UNDONE]: "undone",
};

/**
 * Follows a job (and a bulk job's children) until it finishes, printing each step as it ends. Answers the
 * finished job and, for a bulk job, its children; throws when it did not succeed.
 */
export async function followJob(orch: PromiseClient<OrchestratorClient>, id: string, progress: Progress,
  timeoutMs: number): Promise<{ job: Job; children: Job[] }> {
  const seen = new Set<string>();
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { job } = await orch.getJob({ id });
    if (!job) throw new Error(`job ${id} vanished`);
    const children = await Promise.all(job.childIds.map(async (c) => (await orch.getJob({ id: c })).job))
      .then((jobs) => jobs.filter((j): j is Job => j !== undefined));
    for (const j of job.childIds.length > 0 ? children : [job]) {
      for (const step of j.steps) {
        const mark = MARK[step.state];
        const key = `${j.id}/${step.name}/${step.state}`;
        if (!mark || seen.has(key)) continue;
        seen.add(key);
        const ms = step.started && step.finished ? `${step.finished.getTime() - step.started.getTime()} ms` : "";
        const detail = step.error ? ` ${step.error}` : step.name === "disk" && step.outputs.disk ? ` ${step.outputs.disk}` : "";
        progress.line(`   ${j.node.padEnd(12)} ${step.name.padEnd(14)} ${mark.padEnd(7)} ${ms}${detail}`);
      }
    }
    if (DONE.has(job.state)) return { job: assertSucceeded(job), children };
    if (Date.now() > until) throw new Error(`job ${id} did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
