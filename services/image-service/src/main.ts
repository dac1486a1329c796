import path from "node:path";
import { announce, authFromConfig, exitOnSignals, startMetrics, startTraces, transportOf } from "@bmi/grpc";
import { auditTrailOf } from "@bmi/events";
import { createLogger } from "@bmi/log";
import { loadImageConfig } from "./config";
import { CephDriver } from "./drivers/ceph";
import { LocalDriver } from "./drivers/local";
import { createImageServer } from "./server";

async function main(): Promise<void> {
  const cfg = loadImageConfig();
  // Read by libuv when the pool first starts, which is after this line: nothing before it queued work there.
  process.env.UV_THREADPOOL_SIZE = String(cfg.workerThreads);
  const log = createLogger({ name: "image-service", level: cfg.logLevel });
  const qemuImg = { memoryBytes: cfg.qemuImgMemoryMiB * 2 ** 20, seconds: cfg.qemuImgSeconds };
  const driver = cfg.driver === "ceph"
    ? new CephDriver({ conf: cfg.cephConf, pool: cfg.cephPool, user: cfg.cephUser, keyring: cfg.cephKeyring, dataDir: cfg.dataDir, log, qemuImg })
    : new LocalDriver({ dataDir: cfg.dataDir, log, keepExports: cfg.keepExports, qemuImg });
  const audit = auditTrailOf(cfg)(log);
  const { server } = await createImageServer({
    driver, log, auth: authFromConfig(cfg), transport: transportOf(cfg), shutdownGraceMs: cfg.shutdownGraceMs, defaultDeadlineMs: cfg.defaultDeadlineMs,
    intake: { maxVirtualSize: cfg.maxVirtualSize }, quotaFile: path.join(cfg.dataDir, "quotas.json"), audit,
  });
  // After in-flight calls have drained: their records are the last ones.
  server.onShutdown(() => audit.close());
  startTraces("image-service", cfg, server);
  exitOnSignals(server, log);
  await startMetrics("image-service", cfg, server, log);
  await server.listen(cfg.listen);
  announce("image-service", cfg, log);
}

main().catch((err: unknown) => {
  createLogger({ name: "image-service" }).fatal({ err }, "image-service failed to start");
  process.exit(1);
});
