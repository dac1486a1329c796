import { createHash, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import { clientTlsOf, type BmiServer } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { connectRedis, redisLocation, warnIfNotPersistent } from "@bmi/redis";
import { EventBus } from "@bmi/events";
import { NodeFilter } from "@bmi/proto/bmi/haas/v1/haas";
import type { OrchConfig } from "./config";
import { Engine } from "./engine/engine";
import { connectServices } from "./steps/clients";
import { ServiceExecutor } from "./steps/service-executor";
import { FaultyExecutor, parseFaults } from "./steps/faults";
import { Provisioning, type NodeDirectory } from "./jobs/provisioning";
import { JobAccess } from "./jobs/job-access";
import { CredentialSeal } from "./jobs/principal";
import { addOrchestrator } from "./handlers";
import { NodeQuota } from "./engine/node-quota";
import type { Publisher } from "./engine/relay";
import { addTargetHosts, placeTargets } from "./placement";
import { haasInventory, imageCheck, wireAllocation } from "./leases/wire";
import { Doctor, DriftTimer } from "./doctor";

/**
 * Wires the orchestrator onto `server` from its config: Redis, NATS, the services' clients, the engine, the
 * scheduler and leases, and the handlers of its three gRPC services.
 */
export async function wireOrchestrator(server: BmiServer, config: OrchConfig, log: Logger): Promise<void> {
  const redis = await connectRedis(redisLocation(config), log);
  await warnIfNotPersistent(redis, log, "every job, provisioned-node record and disk counter");
  // Hundreds of jobs write at once: commands issued in the same tick go out in one write instead of one syscall
  // each (measured: most of the orchestrator's CPU under a bulk job went to socket writes).
  redis.options.enableAutoPipelining = true;
  const prefix = `${config.redisPrefix}orch:`;
  const bus = new EventBus({ servers: config.natsServers, stream: config.natsStream, redis, outboxKey: `${prefix}outbox`, log, security: config });
  bus.start();
  const clients = connectServices(
    { image: config.imageAddr, target: config.targetAddr, boot: config.bootAddr, haas: config.haasAddr }, config.callDeadlineMs,
    clientTlsOf(config), { maxInFlight: config.batchInFlight });
  const placed = placeTargets(redis, config, clients, clientTlsOf(config), () => engine!.limiter);
  const seal = new CredentialSeal(config.passCredentials ? credentialKey(config.credentialKeyFile) : undefined);
  const instance = config.instance || `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const consumer = config.bootConsumer || `orchestrator_${createHash("sha1").update(prefix).digest("hex").slice(0, 12)}`;
  // The engine and its executor need each other's reads (boot_seen polls what the engine recorded).
  let engine: Engine | undefined;
  const real = new ServiceExecutor(clients, { lastBoot: (node) => engine!.queries.lastBoot(node) }, config.callDeadlineMs, seal);
  const executor = config.faults ? new FaultyExecutor(real, parseFaults(config.faults)) : real;
  if (config.faults) log.warn({ faults: config.faults }, "fault injection is on");
  engine = new Engine({
    redis, prefix, instance, executor, log, leaseMs: config.leaseMs, capacity: config.maxJobs, limits: config.limits,
    retentionMs: config.retentionHours * 3600_000, publisher: jetStreamPublisher(bus),
    retry: { maxAttempts: config.retryAttempts, baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
    boot: { stream: config.natsStream, consumer, connection: () => bus.ready(60_000) },
  });
  const e = engine;
  const nodes: NodeDirectory = {
    freeNodes: async (who) => (await clients.haas.listNodes({ filter: NodeFilter.NODE_FILTER_FREE, project: "" },
      { onBehalfOf: who, ...(seal.passThrough && who.authorization ? { authorization: who.authorization } : {}) })).nodes.map((n) => n.name),
  };
  const provisioning = new Provisioning(e.store, e.queries, nodes, {
    initiatorPrefix: config.initiatorPrefix, defaultMaxParallel: config.bulkParallel, idempotencyTtlMs: config.idempotencyHours * 3600_000,
    seal, targetHosts: config.targetMultipath,
    disks: { names: async (project, who) => (await clients.image.listDisks({ project },
      { onBehalfOf: who, ...(seal.passThrough && who.authorization ? { authorization: who.authorization } : {}) })).disks.map((d) => d.name) },
  }, () => e.poke());
  const access = new JobAccess(e.store, e.queries, config.maxWatchers, () => e.poke(), config.maxWatchersPerUser);
  const nodeQuota = new NodeQuota(e.store);
  await nodeQuota.index();
  const doctor = new Doctor({ redis, keys: e.store.keys, queries: e.queries, clients, initiatorPrefix: config.initiatorPrefix });
  addTargetHosts(server, placed, clients.boot, e.queries);
  addOrchestrator(server, provisioning, access, clients.haas, e.queries, {
    nodes: nodeQuota, image: clients.image, audit: { stream: config.auditStream, connection: () => bus.ready(5000) }, doctor,
  });
  const drift = config.driftIntervalS > 0 ? new DriftTimer(doctor, redis, { intervalMs: config.driftIntervalS * 1000,
    repair: config.driftRepair, lockKey: `${prefix}doctor:lock`, publish: (s, d, id) => bus.publish(s, d, id) }, log) : undefined;
  // The scheduler, leases and clusters (bmi.orchestrator.v1.Allocation); lease timers run in every instance.
  const onBehalf = (who: { authorization: string }) => (seal.passThrough && who.authorization ? { authorization: who.authorization } : {});
  const alloc = wireAllocation({ redis, prefix, inventory: haasInventory(clients.haas, onBehalf), images: imageCheck(clients.image, onBehalf),
    provisioning, queries: e.queries, access, publish: (s, d, id) => bus.publish(s, d, id), log, defaultParallel: config.bulkParallel }, server);
  e.start();
  alloc.leases.start();
  drift?.start();
  log.info({ instance, prefix, consumer }, "job engine started");
  server.onShutdown(async () => {
    await alloc.leases.stop();
    await drift?.stop();
    await e.stop();
    await bus.close();
    clients.close();
    redis.disconnect();
  });
}


/**
 * Publishes straight to JetStream over the bus's connection, many acks in flight at once. The relay queue is already
 * a Redis outbox written in the same script as the state: while NATS is down the relay keeps its batch and retries,
 * so the bus's own outbox (a Redis round trip per event) would only add a second copy.
 */
function jetStreamPublisher(bus: EventBus): Publisher {
  return { publish: (subject, data, msgId) => bus.publishDirect(subject, data, msgId) };
}

/** The key that seals kept credentials: 32 bytes, as the raw file or in hex or base64. */
function credentialKey(file: string): Buffer {
  const raw = readFileSync(file);
  const text = raw.toString("utf8").trim();
  if (raw.length === 32) return raw;
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  const b64 = Buffer.from(text, "base64");
  if (b64.length === 32) return b64;
  throw new Error(`${file}: the credential key must be 32 bytes (raw, 64 hex digits or base64)`);
}
