import type * as grpc from "@grpc/grpc-js";
import { createClient } from "@bmi/grpc";
import { AllocationClient } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { TargetHostsClient } from "@bmi/proto/bmi/orchestrator/v1/target_hosts";
import type { Stack } from "../support/stack";
import { loadBmiServices, serviceName } from "./descriptors";
import { fuzzService, type FuzzOptions, type ServiceFigures } from "./fuzz-service";
import { servingStatus } from "./health";

/** What the quick run and the bench share: a 5 s deadline per call, response streams read for at most 1 s. */
export const FUZZ_DEFAULTS = {
  concurrency: 8,
  limits: { deadlineMs: 5000, streamReadMs: 1000, streamReadMessages: 50 },
} as const;

export interface StackFuzzResult {
  figures: ServiceFigures[];
  /** Service -> its health status after its own run and everyone else's. */
  health: Record<string, string>;
  /** Processes of the stack that were no longer running after the run. */
  dead: string[];
}

type StackClient = Stack["orch"] | Stack["image"] | Stack["target"] | Stack["boot"] | Stack["haas"];
type ClientClass = Parameters<typeof createClient>[0];

/**
 * Fuzzes every BMI service of the descriptor set, one service after another, over channels like the stack's own
 * clients (same address, the stack's TLS settings), then asks each for its health. A service in the descriptors
 * that the stack has no client for is an error: the fuzzer must not skip it quietly.
 */
export async function fuzzStack(stack: Stack, opts: FuzzOptions & { authorization?: string },
  progress: (f: ServiceFigures) => void = () => {}): Promise<StackFuzzResult> {
  const clients = new Map<string, ReturnType<typeof fuzzClient>>();
  for (const c of [stack.orch, stack.image, stack.target, stack.boot, stack.haas] as StackClient[]) {
    const own = fuzzClient(stack, c);
    clients.set(clientService(own.raw), own);
  }
  // The orchestrator serves two more services (the scheduler's Allocation and TargetHosts) on its own address.
  const orchAddress = (stack.orch.raw as unknown as grpc.Client).getChannel().getTarget();
  for (const cls of [AllocationClient, TargetHostsClient] as unknown as ClientClass[]) {
    const own = createClient(cls, orchAddress, { tls: stack.clientTls, retryMethods: [] });
    clients.set(clientService(own.raw as unknown as grpc.Client), own);
  }
  const targets = loadBmiServices().map((service) => {
    const c = clients.get(serviceName(service));
    if (!c) throw new Error(`fuzz: the stack has no client for ${serviceName(service)}`);
    return { service, client: c.raw, metadata: () => c.metadata(opts.authorization ? { authorization: opts.authorization } : {}) };
  });
  try {
    const figures: ServiceFigures[] = [];
    for (const t of targets) {
      const f = await fuzzService(t, opts);
      figures.push(f);
      progress(f);
    }
    const health: Record<string, string> = {};
    for (const t of targets) health[serviceName(t.service)] = await servingStatus(t.client, serviceName(t.service), t.metadata());
    const dead = stack.processes.filter((p) => p.process.exitCode !== null || p.process.signalCode !== null)
      .map((p) => `${p.name} (exit ${p.process.exitCode ?? p.process.signalCode}; log ${p.logFile})`);
    return { figures, health, dead };
  } finally {
    for (const c of clients.values()) c.close();
  }
}

/**
 * A client for the service behind one of the stack's clients: its address and the stack's TLS settings, but no
 * retries. The stack's clients retry read-only methods on UNAVAILABLE, and a retry close to the deadline would turn
 * a service's timely answer into the client's DEADLINE_EXCEEDED: the fuzzer judges the service, not that policy.
 */
function fuzzClient(stack: Stack, c: StackClient) {
  const raw = c.raw as unknown as grpc.Client;
  return createClient(raw.constructor as ClientClass, raw.getChannel().getTarget(), { tls: stack.clientTls, retryMethods: [] });
}

/** The gRPC service a ts-proto client class was generated for (its constructor carries the service definition). */
function clientService(client: grpc.Client): string {
  const def = (client.constructor as unknown as { service: Record<string, { path: string }> }).service;
  return Object.values(def)[0]?.path.split("/")[1] ?? "";
}
