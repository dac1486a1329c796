import { silentLogger } from "@bmi/log";
import type { Harness } from "./harness";
import { JobAccess } from "../jobs/job-access";
import type { NodeView } from "../scheduler/scheduler";
import type { LeaseOptions } from "../leases/leases";
import { wireAllocation, type AllocationParts, type Publish } from "../leases/wire";

/** Polls `fn` until it answers something truthy. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One orchestrator instance's scheduler, leases and clusters on a test harness's Redis and engine (the real
 * engine and Lua, the fake executor), with `nodes` as the gateway's free nodes; its lease timers run.
 */
export function allocationOn(h: Harness, nodes: NodeView[], publish: Publish, options: Partial<LeaseOptions>, engine = h.engines[0]!): AllocationParts {
  const parts = wireAllocation({
    redis: h.redis, prefix: h.prefix, inventory: { free: async () => nodes }, images: async () => undefined,
    provisioning: h.provisioning, queries: engine.queries, access: new JobAccess(engine.store, engine.queries, 10),
    publish, log: silentLogger(), defaultParallel: 4, options,
  });
  parts.leases.start();
  return parts;
}
