import { BmiError, domainError, isTransient } from "@bmi/errors";
import { fromServiceError, isServiceError } from "@bmi/grpc/client";
import type { JobEvent } from "@bmi/proto/bmi/events/v1/events";
import { BootPhase } from "@bmi/proto/bmi/events/v1/events";
import { Job, JobKind, JobState, StepState, WatchJobRequest, type WatchJobResponse } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { Ctx } from "./context";
import { OperationFailed, interruption } from "./exit-codes";
import { bar, when } from "./output";
import { describeFailure } from "./report";

export const kindName = (k: JobKind) => (JobKind[k] ?? "").replace(/^JOB_KIND_/, "").toLowerCase();
export const stateName = (s: JobState) => (JobState[s] ?? "").replace(/^JOB_STATE_/, "");
const short = (s: string) => s.replace(/^(JOB_STATE_|STEP_STATE_|BOOT_PHASE_)/, "");

export function jobRow(j: Job): Record<string, string | number> {
  return {
    id: j.id, kind: kindName(j.kind), state: stateName(j.state), node: j.node || (j.total ? `${j.total} nodes` : ""),
    progress: j.kind === JobKind.JOB_KIND_BULK ? `${j.succeeded} ok, ${j.failed} failed, ${j.cancelled} cancelled`
      : `${j.steps.filter((s) => s.state === StepState.STEP_STATE_SUCCEEDED).length}/${j.steps.filter((s) => s.state !== StepState.STEP_STATE_SKIPPED).length} steps`,
    created: when(j.created), error: j.error,
  };
}

/** One line per event, for people. */
export function describeEvent(e: JobEvent): string {
  if (e.created) return `job ${e.jobId} created: ${short(e.created.kind).replace(/^JOB_KIND_/, "").toLowerCase()} ${e.created.node}`;
  if (e.stepStarted) return `  ${e.stepStarted.step} ... (attempt ${e.stepStarted.attempt})`;
  if (e.stepSucceeded) {
    const outs = Object.entries(e.stepSucceeded.outputs).map(([k, v]) => `${k}=${v}`).join(" ");
    return `  ${e.stepSucceeded.step} ok (${e.stepSucceeded.durationMs} ms)${outs ? `  ${outs}` : ""}`;
  }
  if (e.stepFailed) return `  ${e.stepFailed.step} failed: ${e.stepFailed.error}${e.stepFailed.permanent ? "" : " (retrying)"}`;
  if (e.stepUndone) return `  ${e.stepUndone.step} undone`;
  if (e.childFinished) {
    const c = e.childFinished;
    return `  node ${c.node} ${short(c.state)}${c.error ? `: ${c.error}` : ""} (job ${c.childId})`;
  }
  if (e.boot) return `  boot: ${short(BootPhase[e.boot.phase] ?? "")} ${e.boot.mac} ${e.boot.remoteAddress}`;
  if (e.finished) return `job ${e.jobId} ${short(e.finished.state)}${e.finished.error ? `: ${e.finished.error}` : ""}`;
  return `event ${e.seq}`;
}

/** Streams a job's events (WatchJob) to `onEvent` until its finished event. */
export async function follow(ctx: Ctx, id: string, fromStart: boolean, onEvent: (e: JobEvent) => void): Promise<void> {
  const call = ctx.orch.raw.watchJob(WatchJobRequest.fromPartial({ id, fromStart }), ctx.orch.metadata(ctx.stream),
    ctx.orch.callOptions(ctx.stream));
  const cancel = () => call.cancel();
  ctx.signal.addEventListener("abort", cancel, { once: true });
  if (ctx.signal.aborted) cancel();
  try {
    for await (const res of call as AsyncIterable<WatchJobResponse>) {
      if (res.event) onEvent(res.event);
      if (res.event?.finished) break;
    }
  } catch (err) {
    // The job runs in the orchestrator, not here: losing sight of it does not stop it.
    throw interruption(ctx.signal, `interrupted: stopped watching job ${id}, which is not cancelled (bmi job watch ${id}; bmi job cancel ${id})`) ??
      lostSight(err, id);
  } finally {
    ctx.signal.removeEventListener("abort", cancel);
    call.cancel();
  }
}

/** A watch that broke because the orchestrator went away says so, and that the job was not touched. */
function lostSight(err: unknown, id: string): unknown {
  const failure = isServiceError(err) ? fromServiceError(err, "orchestrator") : err;
  if (!(failure instanceof BmiError) || !isTransient(failure)) return failure;
  return domainError(failure.code, `orchestrator: ${describeFailure(failure)}: stopped watching job ${id}, which is not cancelled (bmi job watch ${id})`, { cause: err });
}

/**
 * Waits for a job to end, drawing its events (single job) or a progress bar (bulk) on a terminal; answers the
 * ended job. With --json, nothing but the final job is printed.
 */
export async function waitJob(ctx: Ctx, job: Job): Promise<Job> {
  const { out } = ctx;
  const started = Date.now();
  let done = job.succeeded + job.failed + job.cancelled;
  const bulk = job.kind === JobKind.JOB_KIND_BULK;
  await follow(ctx, job.id, true, (e) => {
    if (bulk) {
      if (e.childFinished) done++;
      const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
      out.progress(`${bar(done, job.total)} ${done}/${job.total} nodes  ${rate.toFixed(1)}/s`);
      // On a terminal only: a script reads one line for a failure (and `bmi job ls --all` for every child's).
      if (e.childFinished?.error && out.tty && !out.json) { out.done(); process.stderr.write(`${describeEvent(e)}\n`); }
    } else if (out.tty && !out.json && !(e.stepStarted && e.stepStarted.attempt === 1)) {
      // A first start is followed by its result at once; only retries are worth their own line.
      process.stderr.write(`${describeEvent(e)}\n`);
    }
  });
  out.done();
  const { job: ended } = await ctx.orch.getJob({ id: job.id }, ctx.call);
  return ended ?? job;
}

/** Prints the ended job (JSON or one summary line) and fails the command unless it SUCCEEDED. */
export function reportJob(ctx: Ctx, j: Job, what: string): void {
  const secs = j.created && j.finished ? ((j.finished.getTime() - j.created.getTime()) / 1000).toFixed(1) : "?";
  if (ctx.out.json) ctx.out.data(Job.toJSON(j));
  else {
    ctx.out.line(`${what}: ${stateName(j.state)} (job ${j.id}, ${secs} s)${summary(j)}`);
    for (const f of j.failures) ctx.out.line(`  node ${f.spec?.node ?? "?"} ${stateName(f.state)}: ${f.error} (job ${f.jobId})`);
    const again = j.childKind === JobKind.JOB_KIND_DEPROVISION ? "bulk-dpro" : "bulk";
    if (j.failures.length > 0) ctx.out.line(`  retry them: bmi ${again} --retry-failed ${j.id}`);
  }
  if (j.state !== JobState.JOB_STATE_SUCCEEDED) throw new OperationFailed(`${what}: ${stateName(j.state)}${j.error ? `: ${j.error}` : ""}`);
}

function summary(j: Job): string {
  if (j.kind === JobKind.JOB_KIND_BULK) {
    const done = j.childKind === JobKind.JOB_KIND_DEPROVISION ? "deprovisioned" : "succeeded";
    return `  ${j.succeeded} ${done}, ${j.failed} failed, ${j.cancelled} cancelled`;
  }
  const outs = Object.fromEntries(j.steps.flatMap((s) => Object.entries(s.outputs)));
  return ["disk", "iqn", "image"].filter((k) => outs[k]).map((k) => `  ${k} ${outs[k]}`).join("");
}
