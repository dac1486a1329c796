import { clientTlsOf, type BmiServer } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { TargetServiceService } from "@bmi/proto/bmi/target/v1/target";
import { connectRedis, redisLocation, warnIfNotPersistent } from "@bmi/redis";
import { advertisedPortals, type TargetConfig } from "./config";
import { CephClusters, notingClusters } from "./drivers/ceph-clusters";
import { RedisTargetStore } from "./drivers/redis-store";
import { TgtDriver } from "./drivers/tgt";
import { TARGET_ACCESS, targetHandlers } from "./handlers";
import { ImageServiceDisks } from "./drivers/image-disks";
import { Reconciler } from "./reconciler";
import { Gate } from "./gate";
import { TargetManager } from "./targets";
import { HostPlacement, hostScope, KeyedBackend } from "./hosts/placed";
import { HostRegistration } from "./hosts/registry";

export interface TargetService {
  targets: TargetManager;
  reconciler: Reconciler;
  driver: TgtDriver;
}

/**
 * Wires target-service onto `server`: Redis store, tgt driver, the manager and the reconciler, whose first pass
 * (start tgtd, re-apply every stored target) completes before the server starts listening.
 */
export async function wireTargetService(server: BmiServer, cfg: TargetConfig, log: Logger): Promise<TargetService> {
  const redis = await connectRedis(redisLocation(cfg), log);
  await warnIfNotPersistent(redis, log, "every target spec and CHAP secret (tgtd keeps serving the targets: see admin.js adopt)");
  const store = new RedisTargetStore(redis, cfg.redisPrefix);
  const authority = { date: cfg.iqnDate, domain: cfg.iqnDomain };
  const gate = new Gate();
  let reconciler: Reconciler | undefined;
  const tgt = new TgtDriver({
    controlPort: cfg.tgtdControlPort, portals: cfg.portals, logFile: cfg.tgtdLogFile, ioThreads: cfg.tgtdIoThreads, ipc: cfg.tgtdIpc, log,
    onDaemonExit: () => void reconciler?.kick(),
  });
  // Several target hosts: this one registers itself and serves only the targets placed on it.
  const keyed = cfg.hostId ? new KeyedBackend(tgt) : undefined;
  const driver = keyed ?? tgt;
  const registration = cfg.hostId ? new HostRegistration(redis, cfg.redisPrefix,
    { id: cfg.hostId, address: cfg.hostAddr || cfg.listen, portals: advertisedPortals(cfg), capacity: cfg.hostCapacity },
    cfg.heartbeatMs, () => ({ healthy: reconciler?.healthy ?? false, targets: reconciler?.serving ?? 0 }), log) : undefined;
  const placement = registration && new HostPlacement(redis, cfg.redisPrefix, registration);
  reconciler = new Reconciler(store, driver, authority, gate, log, cfg.reconcileMs, (ok) => server.setServing(ok),
    placement && keyed && hostScope(placement, keyed));
  const targets = new TargetManager(store, driver, authority, advertisedPortals(cfg), gate, log,
    { mutualChap: cfg.mutualChap, bindAddress: cfg.bindAddress, ...(placement ? { placement } : {}) });
  const disks = new ImageServiceDisks(cfg.imageAddr, clientTlsOf(cfg));
  const clusters = new CephClusters(log);
  server.add(TargetServiceService, targetHandlers(targets, advertisedPortals(cfg), notingClusters(disks, clusters)), TARGET_ACCESS);
  await reconciler.kick();
  reconciler.start();
  await registration?.start(() => void reconciler?.kick());
  for (const spec of await store.list()) void clusters.note(spec.backing);
  server.onShutdown(async () => {
    // tgtd keeps running on purpose: nodes booted from its targets keep their disks while the service restarts.
    reconciler?.stop();
    registration?.stop();
    disks.close();
    tgt.close();
    redis.disconnect();
  });
  return { targets, reconciler, driver: tgt };
}
