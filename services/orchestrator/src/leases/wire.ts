import type { BmiServer, PromiseClient } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import type { Redis } from "@bmi/redis";
import { BmiError, NotFoundError } from "@bmi/errors";
import { LeaseEvent } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { NodeFilter, type HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import type { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import type { JobQueries } from "../engine/queries";
import type { JobAccess } from "../jobs/job-access";
import type { Requester } from "../jobs/caller";
import type { Provisioning } from "../jobs/provisioning";
import { Clusters } from "../clusters/clusters";
import { Scheduler, type Inventory } from "../scheduler/scheduler";
import { Allocation, type ImageCheck } from "./allocation";
import { addAllocation } from "./handlers";
import { allNodes, DEFAULT_LEASE_OPTIONS, Leases, type LeaseEventSink, type LeaseOptions } from "./leases";

export interface Publish { (subject: string, data: Uint8Array, msgId: string): Promise<void> }

/** Lease events on NATS: bmi.lease.<id>, LeaseEvent; the message id makes a re-sent event a no-op. */
export function leaseEvents(publish: Publish, log: Logger): LeaseEventSink {
  return async (l, kind, detail = "") => {
    const ev = LeaseEvent.fromPartial({ leaseId: l.id, project: l.project, kind, time: new Date(), end: new Date(l.end),
      nodes: allNodes(l).map((n) => n.node), cluster: l.cluster, detail });
    // One message per end, per failed end job, else per kind (the id makes a re-sent event a no-op).
    const tag = kind === "ending_soon" || kind === "extended" ? `${kind}-${l.end}`
      : kind === "end_failed" ? `${kind}-${Object.values(l.stuck ?? {}).map((s) => s.job).sort().join(",")}` : kind;
    await publish(`bmi.lease.${l.id}`, LeaseEvent.encode(ev).finish(), `lease-${l.id}-${tag}`)
      .catch((err: Error) => log.warn({ lease: l.id, kind, err: err.message }, "lease event not published"));
  };
}

/** The free nodes with their metadata, as the caller may see them (haas-gateway). */
export function haasInventory(haas: PromiseClient<HaasGatewayClient>, auth: (who: Requester) => { authorization?: string }): Inventory {
  return {
    async free(who) {
      const { nodes } = await haas.listNodes({ filter: NodeFilter.NODE_FILTER_FREE, project: "" }, { onBehalfOf: who, ...auth(who) });
      return nodes.map((n) => ({ name: n.name, metadata: n.metadata }));
    },
  };
}

export function imageCheck(image: PromiseClient<ImageServiceClient>, auth: (who: Requester) => { authorization?: string }): ImageCheck {
  return async (who, project, ref) => {
    const [owner, name] = ref.includes("/") ? ref.split("/") : [project, ref];
    try {
      await image.getImage({ project: owner ?? project, name: name ?? ref }, { onBehalfOf: who, ...auth(who) });
      return undefined;
    } catch (err) {
      if (err instanceof NotFoundError) return `image ${ref} not found`;
      return err instanceof BmiError ? `image ${ref}: ${err.message}` : undefined;
    }
  };
}

export interface AllocationParts { scheduler: Scheduler; leases: Leases; allocation: Allocation; clusters: Clusters }

/** The scheduler, leases and clusters over the engine's Redis, served as bmi.orchestrator.v1.Allocation. */
export function wireAllocation(deps: {
  redis: Redis; prefix: string; inventory: Inventory; images: ImageCheck; provisioning: Provisioning; queries: JobQueries;
  access: JobAccess; publish: Publish; log: Logger; defaultParallel: number; options?: Partial<LeaseOptions>;
}, server?: BmiServer): AllocationParts {
  const scheduler = new Scheduler(deps.redis, deps.prefix, deps.inventory);
  let clusters: Clusters | undefined;
  const events = leaseEvents(deps.publish, deps.log);
  const sink: LeaseEventSink = async (l, kind, detail) => {
    await events(l, kind, detail);
    if (kind === "ended") await clusters?.forget(l);
  };
  const leases = new Leases(deps.redis, deps.prefix, scheduler, deps.provisioning, deps.queries, deps.access, sink, deps.log,
    { ...DEFAULT_LEASE_OPTIONS, ...deps.options });
  const allocation = new Allocation(scheduler, leases, deps.provisioning, deps.images, deps.defaultParallel);
  clusters = new Clusters(deps.redis, deps.prefix, allocation, leases, deps.provisioning);
  if (server) addAllocation(server, allocation, clusters);
  return { scheduler, leases, allocation, clusters };
}
