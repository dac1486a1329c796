import { JobEvent } from "@bmi/proto/bmi/events/v1/events";
import {
  ChildFailure, Job, JobKind, JobState, NodeState, Provisioned, Step, StepState,
  type ProvisionOptions as ProvisionOptionsPb,
} from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { CallContext } from "@bmi/grpc";
import { traceHeaders } from "@bmi/tracing";
import type { ChildFailureRecord, JobRecord, JobState as DomainJobState, StepRecord } from "../engine/types";
import type { ProvisionedView } from "../jobs/job-access";
import type { Requester } from "../jobs/caller";
import type { ProvisionOptions } from "../jobs/inputs";
import type { LoggedEvent } from "../jobs/watch";

const date = (iso: string) => (iso ? new Date(iso) : undefined);

export function requester(ctx: CallContext): Requester {
  const { user, projects, admin } = ctx.caller;
  return { user, projects, admin, authorization: ctx.authorization ?? "", requestId: ctx.requestId, trace: traceHeaders() };
}

export function jobToProto(j: JobRecord): Job {
  return Job.fromPartial({
    id: j.id, kind: JobKind[`JOB_KIND_${j.kind}`], project: j.project, state: JobState[`JOB_STATE_${j.state}`],
    node: j.node, steps: j.steps.map(stepToProto), error: j.error, created: date(j.created), updated: date(j.updated),
    finished: date(j.finished), parentId: j.parent, childIds: j.childIds, total: j.total, succeeded: j.succeeded,
    failed: j.failed, cancelled: j.cancelled, idempotencyKey: j.idempotencyKey,
    ...(j.kind === "BULK" ? { childKind: JobKind[`JOB_KIND_${j.spec.childKind ?? "PROVISION"}`] } : {}),
  });
}

/** A failed child as a spec to send again: its disk only when it reused one (a clone gets a fresh name). */
export function failureToProto(f: ChildFailureRecord): ChildFailure {
  const s = f.spec;
  return ChildFailure.fromPartial({
    jobId: f.jobId, state: JobState[`JOB_STATE_${f.state}`], error: f.error,
    spec: { node: s.node ?? "", image: s.reuseDisk ? "" : s.image ?? "", disk: s.reuseDisk ? s.disk ?? "" : "", nic: s.nic ?? "", network: s.network ?? "" },
    // A bulk deprovision's child: its options, which a retry sends again (its spec above names only the node).
    deleteDisk: s.deleteDisk === true, releaseNode: s.releaseNode === true,
  });
}

function stepToProto(s: StepRecord): Step {
  // Secrets stay in Redis for the steps that need them; they never leave the orchestrator.
  return Step.fromPartial({
    name: s.name, state: StepState[`STEP_STATE_${s.state}`], attempts: s.attempts, error: s.error,
    started: s.started ? new Date(s.started) : undefined, finished: s.finished ? new Date(s.finished) : undefined,
    outputs: s.outputs,
  });
}

export function provisionedToProto(p: ProvisionedView): Provisioned {
  return Provisioned.fromPartial({
    project: p.project, node: p.node, disk: p.disk, image: p.image, targetIqn: p.iqn,
    state: NodeState[`NODE_STATE_${p.state}`], jobId: p.job, updated: date(p.updated), disks: p.disks,
  });
}

export function eventToProto(jobId: string, e: LoggedEvent): JobEvent {
  return JobEvent.fromJSON({ ...e.body, jobId, seq: e.seq });
}

export function optionsFromProto(o: ProvisionOptionsPb | undefined): ProvisionOptions {
  return { powerCycle: o?.powerCycle ?? false, waitForBoot: o?.waitForBoot ?? false, bootTimeoutSeconds: o?.bootTimeoutSeconds ?? 0,
    ...(o?.hostname ? { hostname: o.hostname } : {}), ...(o?.userData ? { userData: o.userData } : {}),
    ...(o?.waitForUserspace ? { waitForUserspace: true } : {}) };
}

export function stateFromProto(s: JobState): DomainJobState | undefined {
  if (s === JobState.JOB_STATE_UNSPECIFIED) return undefined;
  return JobState[s]?.replace(/^JOB_STATE_/, "") as DomainJobState | undefined;
}
