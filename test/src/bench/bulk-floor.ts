import { withBatching } from "@bmi/grpc";
import { BootConfig } from "@bmi/proto/bmi/boot/v1/boot";
import type { Stack } from "../support/stack";
import type { BenchTargetHost } from "./bulk-hosts";
import { cpuByProcess, inParallel } from "./stats";

export interface FloorResult {
  provisionMs: number;
  deprovisionMs: number;
  /** Per node, ms, all its provisioning calls. */
  perNode: number[];
  /** Per call name (the orchestrator's step it mirrors), ms. */
  calls: Record<string, number[]>;
  /** The same for deprovisioning. */
  deprovisionPerNode: number[];
  deprovisionCalls: Record<string, number[]>;
  /** Nodes whose calls failed (the first error of each kind is printed). */
  failed: number;
  /** cpuByProcess readings around the provision and the deprovision. */
  cpu: { provision: [Map<string, number>, Map<string, number>]; deprovision: [Map<string, number>, Map<string, number>] };
}

/**
 * The raw floor: the calls a provision and a deprovision make (gateway, image, target, boot), in a plain loop at
 * the same concurrency, with no jobs, no Redis records and no events. What the orchestrator adds is the difference.
 * The calls are batched as the orchestrator batches them (the same methods, the same calls in flight before the
 * next ones go out together: its default BMI_ORCH_BATCH_IN_FLIGHT), so the floor is the cheapest way to do the
 * same work; `batchInFlight` 0 makes every call its own.
 */
export async function runFloor(stack: Pick<Stack, "haas" | "image" | "target" | "boot"> & { targetHosts?: BenchTargetHost[] }, project: string, nodes: string[], image: string, limit: number, iqnPrefix: string, batchInFlight = 4,
  onPhase: (phase: "provision" | "deprovision" | "done") => void = () => undefined): Promise<FloorResult> {
  const batch = { maxInFlight: batchInFlight };
  const batched = <C extends object>(c: C, name: string, pairs: Parameters<typeof withBatching<C>>[2]) => batchInFlight === 0 ? c : withBatching(c, name, pairs, batch);
  const targets = (c: Stack["target"]) => batched(c, "target-service", { createTarget: "createTargets", deleteTarget: "deleteTargets" });
  const s = {
    haas: batched(stack.haas, "haas-gateway", { getNode: "getNodes", allocateNode: "allocateNodes", releaseNode: "releaseNodes" }),
    image: batched(stack.image, "image-service", { createDisk: "createDisks", deleteDisk: "deleteDisks" }),
    target: targets(stack.target),
    boot: batched(stack.boot, "boot-service", { setBootConfig: "setBootConfigs", clearBootConfig: "clearBootConfigs" }),
    targetHosts: stack.targetHosts?.map((h) => ({ ...h, target: targets(h.target) })),
  };
  const calls: Record<string, number[]> = {};
  const deprovisionCalls: Record<string, number[]> = {};
  const timedIn = (into: Record<string, number[]>) => async <T>(name: string, call: Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const res = await call;
    (into[name] ??= []).push(performance.now() - t0);
    return res;
  };
  const timed = timedIn(calls);
  const timedDown = timedIn(deprovisionCalls);
  const disk = (node: string) => `${node}-floor`;
  // Several target hosts: node i's target goes to host i mod H, asked directly (no placement records).
  const index = new Map(nodes.map((node, i) => [node, i]));
  const hostOf = (node: string) => s.targetHosts?.[(index.get(node) ?? 0) % s.targetHosts.length];
  let failed = 0;
  const errors = new Set<string>();
  // Like the orchestrator, keep going when a node fails: count it, say why once.
  const guarded = (fn: (node: string) => Promise<void>) => async (node: string) => {
    try {
      await fn(node);
    } catch (err) {
      failed++;
      const msg = (err as Error).message;
      if (!errors.has(msg)) console.log(`    floor error: ${msg}`);
      errors.add(msg);
    }
  };
  onPhase("provision");
  const cpu0 = cpuByProcess();
  const t0 = performance.now();
  const perNode = await inParallel(nodes, limit, guarded(async (node) => {
    const { node: n } = await timed("check_node", s.haas.getNode({ node }));
    await timed("allocate", s.haas.allocateNode({ project, node }));
    const { disk: d } = await timed("disk", s.image.createDisk({ project, name: disk(node), image }));
    const initiatorIqn = `${iqnPrefix}:${project}.${node}`;
    const h = hostOf(node);
    const { target } = await timed("target", (h?.target ?? s.target).createTarget({ project, disk: disk(node), backing: d?.backing, initiatorIqn,
      placement: h ? { hosts: [h.id] } : undefined }));
    await timed("boot_config", s.boot.setBootConfig({ config: BootConfig.fromPartial({
      node, project, macs: [n?.nics[0]?.mac ?? ""], target: target?.target, chap: target?.chap, initiatorIqn,
    }) }));
  }));
  const provisionMs = performance.now() - t0;
  const cpu1 = cpuByProcess();
  onPhase("deprovision");
  const t1 = performance.now();
  const deprovisionPerNode = await inParallel(nodes, limit, guarded(async (node) => {
    await timedDown("check_node", s.haas.getNode({ node }));
    await timedDown("boot_config", s.boot.clearBootConfig({ node }));
    await timedDown("target", (hostOf(node)?.target ?? s.target).deleteTarget({ project, disk: disk(node) }));
    await timedDown("disk", s.image.deleteDisk({ project, name: disk(node) }));
    await timedDown("release", s.haas.releaseNode({ project, node }));
  }));
  const deprovisionMs = performance.now() - t1;
  const cpu2 = cpuByProcess();
  onPhase("done");
  return { provisionMs, deprovisionMs, perNode, calls, deprovisionPerNode, deprovisionCalls, failed,
    cpu: { provision: [cpu0, cpu1], deprovision: [cpu1, cpu2] } };
}
