import { FailedPreconditionError, NotFoundError } from "@bmi/errors";
import { JobEvent } from "@bmi/proto/bmi/events/v1/events";
import { Job, JobKind, JobState, StepState, type NodeSpec } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { arg, flag, num, opt, type Command, type Ctx, type Options } from "../context";
import { UsageError } from "../exit-codes";
import { describeEvent, follow, jobRow, reportJob, stateName } from "../jobs-view";
import { when } from "../output";
import { readList, field } from "../spec-file";
import { BOOT_OPTIONS, WAIT_OPTIONS, bootOptions, finish } from "./provision";
import { SELECT_OPTIONS, nodeRequest, printPlan } from "./allocation";

function parseState(s: string | undefined): JobState {
  if (!s) return JobState.JOB_STATE_UNSPECIFIED;
  const v = JobState[`JOB_STATE_${s.toUpperCase()}` as keyof typeof JobState];
  if (v === undefined || v === JobState.UNRECOGNIZED) throw new UsageError(`--state ${s}: one of pending, running, succeeded, failed, partial, cancelling, cancelled`);
  return v;
}

/**
 * A bulk job that has ended with children of `kind` (what a retry sends again); another job is refused and, when it is
 * the other kind of bulk job, the refusal names the command that retries it.
 */
async function endedBulk(ctx: Ctx, id: string, kind: JobKind.JOB_KIND_PROVISION | JobKind.JOB_KIND_DEPROVISION): Promise<Job> {
  const { job } = await ctx.orch.getJob({ id }, ctx.call);
  if (!job) throw new NotFoundError(`job ${id} not found`);
  const deprovision = kind === JobKind.JOB_KIND_DEPROVISION;
  if (job.kind !== JobKind.JOB_KIND_BULK) throw new FailedPreconditionError(`job ${id} is not a bulk ${deprovision ? "deprovision" : "job"}`);
  if ((job.childKind === JobKind.JOB_KIND_DEPROVISION) !== deprovision) {
    throw new FailedPreconditionError(deprovision ? `job ${id} is not a bulk deprovision (bmi bulk --retry-failed ${id} provisions its failed nodes again)`
      : `job ${id} is a bulk deprovision: bmi bulk-dpro --retry-failed ${id} deprovisions its failed nodes again`);
  }
  if (!job.finished) throw new FailedPreconditionError(`job ${id} is still ${stateName(job.state)}: wait for it to end (bmi job watch ${id})`);
  if (!job.failures.some((f) => f.spec?.node)) {
    throw new FailedPreconditionError(`job ${id} ended ${stateName(job.state)} with no failed or cancelled node: nothing to retry`);
  }
  return job;
}

/** The specs of a bulk job's children that failed or were cancelled: what `bmi bulk --retry-failed` sends again. */
async function failedSpecs(ctx: Ctx, id: string): Promise<NodeSpec[]> {
  return (await endedBulk(ctx, id, JobKind.JOB_KIND_PROVISION)).failures.flatMap((f) => (f.spec ? [f.spec] : []));
}

/** The nodes a bulk deprovision did not deprovision, and the options it gave them: what `bmi bulk-dpro --retry-failed` sends. */
async function failedDeprovisions(ctx: Ctx, id: string): Promise<{ nodes: string[]; deleteDisk: boolean; releaseNode: boolean }> {
  const failed = (await endedBulk(ctx, id, JobKind.JOB_KIND_DEPROVISION)).failures.filter((f) => f.spec?.node);
  // One request, one set of options: every child of a bulk deprovision was given the same.
  return { nodes: failed.map((f) => f.spec!.node), deleteDisk: failed[0]!.deleteDisk, releaseNode: failed[0]!.releaseNode };
}

/** bmi bulk's: N free nodes (--count, --image, --network and how they are picked), or what a job failed (--retry-failed), and how the job runs. */
const BULK_OPTIONS: Options = {
  count: opt("N", "provision N free nodes (with --image)"),
  image: opt("IMAGE", "the image every one of the --count nodes gets"),
  network: opt("NET", "the network their NICs join (HIL)"),
  "max-parallel": opt("P", "at most P nodes at once (default: the orchestrator's)"),
  "min-success": opt("M", "roll every node back once fewer than M can succeed; refused unless M fit the quota (default: none, the nodes that succeed stay)"),
  "all-or-nothing": flag("every node must succeed, or every one is rolled back"),
  "retry-failed": opt("JOB", "provision again exactly the nodes that failed or were cancelled in bulk job JOB"),
  ...BOOT_OPTIONS, ...WAIT_OPTIONS, ...SELECT_OPTIONS,
};

export const jobCommands: Command[] = [
  {
    name: "bulk", example: "bmi bulk --count 100 --image centos7 --max-parallel 32\nbmi bulk nodes.yaml --no-wait\nbmi bulk --retry-failed j-0123abcd",
    args: "FILE | --count N --image IMAGE [--network NET] [--selector SEL] [--placement spread|pack] [--min-count M] [--dry-run] | --retry-failed JOB [--max-parallel P] [--min-success M] [--all-or-nothing]",
    summary: "provision many nodes: a YAML/JSON list of {node, image|disk, nic, network}, or N free nodes",
    options: BULK_OPTIONS,
    async run(ctx, p, v) {
      const common = { project: ctx.project(), maxParallel: num(v, "max-parallel"), minSuccess: num(v, "min-success"),
        allOrNothing: v["all-or-nothing"] === true, options: bootOptions(v), idempotencyKey: (v.key as string) ?? "" };
      let req;
      if (v["retry-failed"] !== undefined) {
        if (p[0] || v.count) throw new UsageError("--retry-failed JOB takes no spec FILE or --count");
        req = { ...common, specs: { specs: await failedSpecs(ctx, v["retry-failed"] as string) } };
      } else if (p[0]) {
        const specs = (await readList(p[0], "nodes")).map((e) => ({ node: field(e, "node"), image: field(e, "image"),
          disk: field(e, "disk"), nic: field(e, "nic"), network: field(e, "network") }));
        req = { ...common, specs: { specs } };
      } else {
        if (!v.count || !v.image) throw new UsageError("give a spec FILE, or --count N and --image IMAGE");
        // N free nodes: the scheduler picks them (selector, placement) and holds them until the job does.
        const res = await ctx.alloc.allocateBulk({ ...common, nodes: nodeRequest(v, num(v, "count")), image: v.image as string,
          network: (v.network as string) ?? "", dryRun: v["dry-run"] === true }, ctx.call);
        if (v["dry-run"]) return printPlan(ctx, res.plan);
        return finish(ctx, res.job, v, "bulk");
      }
      if (v["dry-run"] || v.selector || v.placement || v["min-count"]) throw new UsageError("--dry-run, --selector, --placement and --min-count go with --count N");
      const { job } = await ctx.orch.bulkProvision(req, ctx.call);
      await finish(ctx, job, v, "bulk");
    },
  },
  {
    name: "bulk-dpro", example: "bmi bulk-dpro n1 n2 n3 --delete-disk --release\nbmi bulk-dpro --all --delete-disk --release --max-parallel 32\nbmi bulk-dpro --retry-failed j-0123abcd",
    args: "NODE... | --all | --retry-failed JOB [--delete-disk] [--release] [--max-parallel P]",
    summary: "deprovision many nodes in one job: the NODEs named, or --all the project's provisioned nodes",
    options: {
      all: flag("every node the project has provisioned (bmi ls)"),
      "delete-disk": flag("delete each node's disk too (default: kept, for bmi repro or bmi snap create)"),
      release: flag("give each node back to HIL's free pool"),
      "max-parallel": opt("P", "at most P nodes at once (default: the orchestrator's)"),
      "retry-failed": opt("JOB", "deprovision again exactly the nodes that failed or were cancelled in bulk deprovision JOB, with its options"),
      ...WAIT_OPTIONS,
    },
    async run(ctx, p, v) {
      let req = { project: ctx.project(), nodes: p, all: v.all === true, deleteDisk: v["delete-disk"] === true,
        releaseNode: v.release === true, maxParallel: num(v, "max-parallel"), idempotencyKey: (v.key as string) ?? "" };
      if (v["retry-failed"] !== undefined) {
        if (p.length > 0 || req.all || req.deleteDisk || req.releaseNode) {
          throw new UsageError("--retry-failed JOB takes no NODE, --all, --delete-disk or --release: it sends the job's own");
        }
        req = { ...req, ...await failedDeprovisions(ctx, v["retry-failed"] as string) };
      } else if (p.length > 0 && req.all) throw new UsageError("give NODE... or --all, not both");
      else if (p.length === 0 && !req.all) throw new UsageError("missing NODE... (or --all)");
      const { job } = await ctx.orch.bulkDeprovision(req, ctx.call);
      await finish(ctx, job, v, "bulk deprovision");
    },
  },
  {
    name: "job ls", example: "bmi job ls --state failed --limit 10", args: "[--state S] [--all] [--limit N]", summary: "list the project's jobs, most recent first",
    options: { state: opt("S", "only jobs in state S: pending, running, succeeded, failed, partial, cancelling, cancelled"),
      all: flag("bulk jobs' children too"), limit: opt("N", "at most N jobs (default 50)") },
    async run(ctx, _p, v) {
      const { jobs } = await ctx.orch.listJobs({ project: ctx.project(), state: parseState(v.state as string | undefined),
        limit: num(v, "limit", 50), includeChildren: v.all === true }, ctx.call);
      ctx.out.list(jobs, Job.toJSON, jobRow, ["id", "kind", "state", "node", "progress", "created", "error"]);
    },
  },
  {
    name: "job show", example: "bmi job show j-0123abcd", args: "ID", summary: "a job and its steps",
    async run(ctx, p) {
      const id = arg(p, 0, "ID");
      const { job } = await ctx.orch.getJob({ id }, ctx.call);
      if (!job) throw new NotFoundError(`job ${id} not found`);
      if (ctx.out.json) return ctx.out.data(Job.toJSON(job));
      const row = jobRow(job);
      for (const k of ["id", "kind", "state", "node", "progress", "created", "error"]) ctx.out.line(`${k.padEnd(9)} ${row[k] || "-"}`);
      if (job.finished) ctx.out.line(`finished  ${when(job.finished)}`);
      if (job.childIds.length > 0) ctx.out.line(`children  ${job.childIds.length} (bmi job ls --all)`);
      if (job.steps.length === 0) return;
      ctx.out.line("");
      ctx.out.table(job.steps.map((s) => ({
        step: s.name, state: (StepState[s.state] ?? "").replace(/^STEP_STATE_/, ""), attempts: s.attempts,
        ms: s.started && s.finished ? s.finished.getTime() - s.started.getTime() : "",
        outputs: Object.entries(s.outputs).map(([k, o]) => `${k}=${o}`).join(" "), error: s.error,
      })), ["step", "state", "attempts", "ms", "outputs", "error"]);
    },
  },
  {
    name: "job watch", example: "bmi job watch j-0123abcd --from-start --json", args: "ID [--from-start]", summary: "follow a job's events until it ends (--json: one JSON line each)",
    options: { "from-start": flag("replay the job's events from its start, then follow") },
    async run(ctx, p, v) {
      await follow(ctx, arg(p, 0, "ID"), v["from-start"] === true, (e) => {
        if (ctx.out.json) ctx.out.data(JobEvent.toJSON(e), true);
        else ctx.out.line(describeEvent(e));
      });
    },
  },
  {
    name: "job cancel", example: "bmi job cancel j-0123abcd", args: "ID [--no-wait]", summary: "cancel a job: stop what has not started, undo what is half done",
    options: { "no-wait": flag("return once the cancel is accepted, before the undo ends") },
    async run(ctx, p, v) {
      const id = arg(p, 0, "ID");
      const { job } = await ctx.orch.cancelJob({ id }, ctx.call);
      if (!job) throw new NotFoundError(`job ${id} not found`);
      if (v["no-wait"]) return ctx.out.line(`${job.id} ${stateName(job.state)}`);
      await follow(ctx, job.id, false, () => undefined);
      const { job: ended } = await ctx.orch.getJob({ id: job.id }, ctx.call);
      if (ended?.state === JobState.JOB_STATE_CANCELLED) {
        return ctx.out.json ? ctx.out.data(Job.toJSON(ended)) : ctx.out.line(`job ${job.id}: CANCELLED`);
      }
      reportJob(ctx, ended ?? job, `job ${job.id}`);
    },
  },
];
