import type { AccessTable, BmiServer, Handlers } from "@bmi/grpc";
import {
  AllocationService, Cluster, CreateClusterResponse, CreateLeaseResponse, DeleteClusterResponse, EndLeaseResponse,
  GetClusterResponse, GetLeaseResponse, Lease, LeaseState, ListClustersResponse, ListLeasesResponse, Placement, Plan,
  ScaleClusterResponse, AllocateBulkResponse, UpdateLeaseResponse, type NodeRequest,
} from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { InvalidArgumentError } from "@bmi/errors";
import { jobToProto, optionsFromProto, requester } from "../handlers/job-proto";
import { nodeMetadata, type ClusterRecord, type Clusters } from "../clusters/clusters";
import type { Allocation, NodeAsk, PlanView } from "./allocation";
import { allNodes, type LeaseNode, type LeaseRecord } from "./leases";

const planned = (n: LeaseNode) => ({ node: n.node, image: n.image, rack: n.rack, role: n.role, network: n.network });

export function leaseToProto(l: LeaseRecord): Lease {
  return Lease.fromPartial({
    id: l.id, project: l.project, state: LeaseState[`LEASE_STATE_${l.state}`], start: new Date(l.start), end: new Date(l.end),
    nodes: allNodes(l).map(planned), deleteDisks: l.deleteDisks, startJobs: l.startJobs, endJobs: Object.values(l.endJobs), error: l.error,
    created: new Date(l.created), cluster: l.cluster, user: l.owner.user,
    stuckNodes: Object.entries(l.stuck ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([node, s]) =>
      ({ node, error: s.error, attempts: s.attempts, job: s.job, nextAttempt: new Date(s.retryAt) })),
  });
}

export function planToProto(p: PlanView): Plan {
  return Plan.fromPartial({
    nodes: p.nodes.map(planned), ...(p.quota.limit !== undefined ? { quotaLimit: p.quota.limit } : {}), quotaUsed: p.quota.used, quotaAfter: p.quota.after,
    problems: p.problems, estimateSeconds: p.estimate.seconds, estimateBasis: p.estimate.basis,
  });
}

function clusterToProto(c: ClusterRecord, lease: LeaseRecord | undefined): Cluster {
  return Cluster.fromPartial({
    name: c.name, project: c.project, template: c.template, created: new Date(c.created),
    roles: c.roles.map((r) => ({ name: r.name, image: r.image, count: r.nodes.length, min: r.min, max: r.max, order: r.order, nodes: r.nodes, metadata: r.metadata })),
    ...(lease ? { lease: leaseToProto(lease) } : {}),
    nodeMetadata: Object.fromEntries(Object.entries(nodeMetadata(c)).map(([n, m]) => [n, JSON.stringify(m)])),
  });
}

function ask(n: NodeRequest | undefined): NodeAsk {
  if (!n) throw new InvalidArgumentError("nodes: a count (and a selector) is required");
  return { count: n.count, minCount: n.minCount, selector: n.selector, placement: n.placement === Placement.PLACEMENT_PACK ? "pack" : "spread" };
}

const ms = (d: Date | undefined) => (d ? d.getTime() : 0);

/** Serves bmi.orchestrator.v1.Allocation: every method for project members, checked against each lease's project. */
export function addAllocation(server: BmiServer, alloc: Allocation, clusters: Clusters): void {
  const handlers: Handlers<typeof AllocationService> = {
    async allocateBulk(req, ctx) {
      const res = await alloc.allocateBulk(requester(ctx), req.project, ask(req.nodes), {
        image: req.image, network: req.network, maxParallel: req.maxParallel, minSuccess: req.minSuccess, allOrNothing: req.allOrNothing,
        options: optionsFromProto(req.options),
      }, req.idempotencyKey, req.dryRun);
      return AllocateBulkResponse.fromPartial({ ...(res.job ? { job: jobToProto(res.job) } : {}), ...(res.plan ? { plan: planToProto(res.plan) } : {}) });
    },
    async createLease(req, ctx) {
      const start = ms(req.start);
      const end = req.end ? ms(req.end) : req.durationSeconds ? Math.max(start, Date.now()) + req.durationSeconds * 1000 : 0;
      const res = await alloc.createLease(requester(ctx), {
        project: req.project, nodes: ask(req.nodes), image: req.image, network: req.network, start, end,
        deleteDisks: req.deleteDisks, powerCycle: req.powerCycle,
      }, req.dryRun);
      return CreateLeaseResponse.fromPartial({ ...(res.lease ? { lease: leaseToProto(res.lease) } : {}), ...(res.plan ? { plan: planToProto(res.plan) } : {}) });
    },
    async getLease(req, ctx) {
      return GetLeaseResponse.fromPartial({ lease: leaseToProto(await alloc.leases.visible(requester(ctx), req.id)) });
    },
    async listLeases(req, ctx) {
      return ListLeasesResponse.fromPartial({ leases: (await alloc.leases.list(requester(ctx), req.project)).map(leaseToProto) });
    },
    async updateLease(req, ctx) {
      return UpdateLeaseResponse.fromPartial({ lease: leaseToProto(await alloc.leases.setEnd(requester(ctx), req.id, ms(req.end))) });
    },
    async endLease(req, ctx) {
      return EndLeaseResponse.fromPartial({ lease: leaseToProto(await alloc.leases.endNow(requester(ctx), req.id)) });
    },
    async createCluster(req, ctx) {
      const res = await clusters.create(requester(ctx), req.project, req.name, req.template, ms(req.end), req.powerCycle, req.dryRun);
      return CreateClusterResponse.fromPartial({ ...(res.cluster ? { cluster: clusterToProto(res.cluster, res.lease) } : {}),
        ...(res.plan ? { plan: planToProto(res.plan) } : {}) });
    },
    async getCluster(req, ctx) {
      const { cluster, lease } = await clusters.get(requester(ctx), req.project, req.name);
      return GetClusterResponse.fromPartial({ cluster: clusterToProto(cluster, lease) });
    },
    async listClusters(req, ctx) {
      return ListClustersResponse.fromPartial({ clusters: (await clusters.list(requester(ctx), req.project)).map((c) => clusterToProto(c.cluster, c.lease)) });
    },
    async scaleCluster(req, ctx) {
      const res = await clusters.scale(requester(ctx), req.project, req.name, req.role, req.count, req.dryRun);
      return ScaleClusterResponse.fromPartial({ ...(res.cluster ? { cluster: clusterToProto(res.cluster, res.lease) } : {}),
        ...(res.plan ? { plan: planToProto(res.plan) } : {}) });
    },
    async deleteCluster(req, ctx) {
      const { cluster, lease } = await clusters.delete(requester(ctx), req.project, req.name);
      return DeleteClusterResponse.fromPartial({ cluster: clusterToProto(cluster, lease) });
    },
  };
  server.add(AllocationService, handlers, ALLOCATION_ACCESS);
}

/** Every method is for project members; the handlers check each lease's and cluster's project. */
export const ALLOCATION_ACCESS: AccessTable<typeof AllocationService> = {
  allocateBulk: "member", createLease: "member", getLease: "member", listLeases: "member", updateLease: "member", endLease: "member",
  createCluster: "member", getCluster: "member", listClusters: "member", scaleCluster: "member", deleteCluster: "member",
};
