import { addResource, type CallContext, type Handlers } from "@bmi/grpc";
import { InvalidArgumentError } from "@bmi/errors";
import { annotate } from "@bmi/tracing";
import {
  BulkDeprovisionResponse, BulkProvisionResponse, CancelJobResponse, DeprovisionNodeResponse, GetJobResponse, ListJobsResponse,
  ListProvisionedResponse, ProvisionNodeResponse, ReprovisionNodeResponse, SnapshotNodeResponse, WatchJobResponse,
  type NodeSpec, type OrchestratorService,
} from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { Provisioning } from "../jobs/provisioning";
import type { JobAccess } from "../jobs/job-access";
import type { NodeInput } from "../jobs/inputs";
import { eventToProto, failureToProto, jobToProto, optionsFromProto, provisionedToProto, requester, stateFromProto } from "./job-proto";

type JobMethods = "provisionNode" | "deprovisionNode" | "snapshotNode" | "reprovisionNode" | "bulkProvision" | "bulkDeprovision" | "getJob" |
  "listJobs" | "watchJob" | "cancelJob" | "listProvisioned";

function nodeInput(s: NodeSpec | undefined): NodeInput {
  if (!s) throw new InvalidArgumentError("spec is required");
  return { node: s.node, ...(s.image ? { image: s.image } : {}), ...(s.disk ? { disk: s.disk } : {}),
    ...(s.nic ? { nic: s.nic } : {}), ...(s.network ? { network: s.network } : {}) };
}

/**
 * The audit record of a call that made or cancelled a job names the job, and its project (CancelJob names only the
 * id); so does the call's span.
 */
function noted<J extends { id: string; project: string }>(ctx: CallContext, job: J): J {
  // The call's span names its job, so a trace is found from the job id (and its steps' spans say it too).
  annotate({ "bmi.job.id": job.id });
  if (ctx.audit) {
    ctx.audit.project ||= job.project;
    addResource(ctx.audit, job.id);
  }
  return job;
}

/** The job half of bmi.orchestrator.v1.Orchestrator: protobuf to Provisioning / JobAccess calls and back. */
export function jobHandlers(prov: Provisioning, access: JobAccess): Pick<Handlers<typeof OrchestratorService>, JobMethods> {
  return {
    async provisionNode(req, ctx) {
      const job = await prov.provision(requester(ctx), req.project, nodeInput(req.spec), optionsFromProto(req.options), req.idempotencyKey);
      return ProvisionNodeResponse.fromPartial({ job: jobToProto(noted(ctx, job)) });
    },
    async deprovisionNode(req, ctx) {
      const job = await prov.deprovision(requester(ctx), req.project, req.node, req.deleteDisk, req.releaseNode, req.idempotencyKey);
      return DeprovisionNodeResponse.fromPartial({ job: jobToProto(noted(ctx, job)) });
    },
    async snapshotNode(req, ctx) {
      const job = await prov.snapshot(requester(ctx), req.project, req.node, req.image, req.idempotencyKey);
      return SnapshotNodeResponse.fromPartial({ job: jobToProto(noted(ctx, job)) });
    },
    async reprovisionNode(req, ctx) {
      const job = await prov.reprovision(requester(ctx), req.project, req.node, req.disk, optionsFromProto(req.options), req.idempotencyKey);
      return ReprovisionNodeResponse.fromPartial({ job: jobToProto(noted(ctx, job)) });
    },
    async bulkProvision(req, ctx) {
      if (!req.specs && !req.freeNodes) throw new InvalidArgumentError("specs or free_nodes is required");
      const job = await prov.bulk(requester(ctx), req.project, {
        ...(req.specs ? { specs: req.specs.specs.map(nodeInput) } : {}),
        ...(req.freeNodes ? { free: { count: req.freeNodes.count, image: req.freeNodes.image, network: req.freeNodes.network } } : {}),
        maxParallel: req.maxParallel, minSuccess: req.minSuccess, options: optionsFromProto(req.options),
        // Only when asked, so a key used before the field existed still matches its request.
        ...(req.allOrNothing ? { allOrNothing: true } : {}),
      }, req.idempotencyKey);
      return BulkProvisionResponse.fromPartial({ job: jobToProto(noted(ctx, job)) });
    },
    async bulkDeprovision(req, ctx) {
      if (ctx.audit) for (const n of req.nodes.slice(0, 100)) addResource(ctx.audit, n);
      const job = await prov.bulkDeprovision(requester(ctx), req.project, {
        nodes: req.nodes, all: req.all, deleteDisk: req.deleteDisk, releaseNode: req.releaseNode, maxParallel: req.maxParallel,
      }, req.idempotencyKey);
      return BulkDeprovisionResponse.fromPartial({ job: jobToProto(noted(ctx, job)) });
    },
    async getJob(req, ctx) {
      const { job, failures } = await access.getWithFailures(requester(ctx), req.id);
      return GetJobResponse.fromPartial({ job: { ...jobToProto(job), failures: failures.map(failureToProto) } });
    },
    async listJobs(req, ctx) {
      const state = stateFromProto(req.state);
      const jobs = await access.list(requester(ctx), req.project, {
        limit: req.limit, includeChildren: req.includeChildren, ...(state ? { state } : {}),
      });
      return ListJobsResponse.fromPartial({ jobs: jobs.map(jobToProto) });
    },
    async *watchJob(req, ctx) {
      for await (const ev of access.watch(requester(ctx), req.id, req.fromStart, ctx.signal)) {
        yield WatchJobResponse.fromPartial({ event: eventToProto(req.id, ev) });
      }
    },
    async cancelJob(req, ctx) {
      return CancelJobResponse.fromPartial({ job: jobToProto(noted(ctx, await access.cancel(requester(ctx), req.id))) });
    },
    async listProvisioned(req, ctx) {
      const nodes = await access.provisioned(requester(ctx), req.project);
      return ListProvisionedResponse.fromPartial({ nodes: nodes.map(provisionedToProto) });
    },
  };
}
