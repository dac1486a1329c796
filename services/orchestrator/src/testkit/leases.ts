import { until as pollUntil } from "@bmi/async";
import { silentLogger } from "@bmi/log";
import type { Harness } from "./harness";
import { JobAccess } from "../jobs/job-access";
import type { NodeView } from "../scheduler/scheduler";
import type { LeaseOptions } from "../leases/leases";
import { wireAllocation, type AllocationParts, type Publish } from "../leases/wire";

/** Polls `fn` until it answers something truthy (@bmi/async's until, every 20 ms for at most `ms`). */
export const until = <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> =>
  pollUntil(what, fn, ms, 20);

/**
 * One orchestrator instance's scheduler, leases and clusters on a test harness's Redis and engine (the real
 * engine and Lua, the fake executor), with `nodes` as the gateway's free nodes; its lease timers run.
 */
export function allocationOn(h: Harness, nodes: NodeView[], publish: Publish, options: Partial<LeaseOptions>, engine = h.engines[0]!): AllocationParts {
  const parts = wireAllocation({
    redis: h.redis, prefix: h.prefix, inventory: { free: async () => nodes }, images: async () => undefined,
    provisioning: h.provisioning, queries: engine.queries, access: new JobAccess(engine.store, engine.queries, 10, () => engine.poke()),
    publish, log: silentLogger(), defaultParallel: 4, options,
  });
  parts.leases.start();
  return parts;
}
