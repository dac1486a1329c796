import path from "node:path";
import { createServer, INTERNAL, type AccessTable, type AuditSink, type Authenticator, type BmiServer, type Transport } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { connectRedis, redisLocation } from "@bmi/redis";
import { ImageServiceService } from "@bmi/proto/bmi/image/v1/image";
import type { ImageConfig } from "./config";
import { PoolMembership } from "./coordination";
import { DiskLibrary } from "./disks";
import { CephDriver } from "./drivers/ceph";
import { LocalDriver } from "./drivers/local";
import { imageHandlers } from "./handlers";
import type { IntakeLimits } from "./intake";
import { ImageLibrary, type Sharing } from "./library";
import type { StorageDriver } from "./storage";
import { claimDataDir } from "./store-guard";

export interface ImageServer {
  server: BmiServer;
  images: ImageLibrary;
  disks: DiskLibrary;
}

/**
 * Wires image-service onto `server`: the configured storage driver (Ceph RBD or local qcow2), the libraries, the
 * handlers. The data directory is this process's alone (a second instance on it is refused at start-up). With Ceph
 * the instance joins the pool's members in Redis first: several instances may share one pool, with locks, liveness
 * and change messages in Redis. The local driver is one instance per store.
 */
export async function wireImageService(server: BmiServer, cfg: ImageConfig, log: Logger): Promise<void> {
  const claim = await claimDataDir(cfg.dataDir);
  server.onShutdown(() => claim.release());
  const qemuImg = { memoryBytes: cfg.qemuImgMemoryMiB * 2 ** 20, seconds: cfg.qemuImgSeconds };
  let driver: StorageDriver;
  let sharing: Sharing | undefined;
  if (cfg.driver === "ceph") {
    const redis = await connectRedis(redisLocation(cfg), log);
    const member = await PoolMembership.join({ redis, sub: redis.duplicate(), prefix: `${cfg.redisPrefix}image:${cfg.cephPool}:`, leaseMs: cfg.leaseMs, log });
    const ceph = new CephDriver({
      conf: cfg.cephConf, pool: cfg.cephPool, user: cfg.cephUser, keyring: cfg.cephKeyring, dataDir: cfg.dataDir, log, qemuImg,
      shared: { instance: member.instance, abandoned: member.abandoned, fence: () => member.locks.fence() },
    });
    driver = ceph;
    sharing = member.sharing(ceph);
  } else {
    driver = new LocalDriver({ dataDir: cfg.dataDir, log, keepExports: cfg.keepExports, qemuImg });
  }
  await addImageService(server, {
    driver, log, intake: { maxVirtualSize: cfg.maxVirtualSize }, quotaFile: path.join(cfg.dataDir, "quotas.json"), sharing,
  });
}

/**
 * Opens the storage (reconciling what a crash left behind) and serves bmi.image.v1.ImageService over it on
 * `server`; the driver is closed after in-flight calls drain at shutdown.
 */
export async function addImageService(server: BmiServer, opts: {
  driver: StorageDriver; log: Logger; intake?: IntakeLimits | undefined;
  /** Where quota limits are kept (without one, in memory only). */
  quotaFile?: string | undefined;
  /** Several instances on one pool (Ceph): shared locks and catalog. */
  sharing?: Sharing | undefined;
}): Promise<{ images: ImageLibrary; disks: DiskLibrary }> {
  const images = await ImageLibrary.open(opts.driver, opts.log, opts.intake, opts.sharing);
  if (opts.quotaFile) await images.quotas.load(opts.quotaFile);
  const disks = new DiskLibrary(images);
  server.add(ImageServiceService, imageHandlers(images, disks), IMAGE_ACCESS);
  server.onShutdown(() => images.close());
  return { images, disks };
}

/** A server of its own around `driver` (tests and benches; the process itself starts through wireImageService). The caller listens. */
export async function createImageServer(opts: {
  driver: StorageDriver; log: Logger; auth: Authenticator; transport?: Transport; shutdownGraceMs?: number; defaultDeadlineMs?: number; intake?: IntakeLimits;
  /** Where quota limits are kept (without one, in memory only); and where mutating calls are recorded. */
  quotaFile?: string; audit?: AuditSink;
}): Promise<ImageServer> {
  const server = createServer({
    name: "image-service", log: opts.log, auth: opts.auth, ...(opts.transport ? { transport: opts.transport } : {}),
    ...(opts.shutdownGraceMs !== undefined ? { shutdownGraceMs: opts.shutdownGraceMs } : {}),
    ...(opts.defaultDeadlineMs !== undefined ? { defaultDeadlineMs: opts.defaultDeadlineMs } : {}),
    ...(opts.audit ? { audit: opts.audit } : {}),
  });
  return { server, ...await addImageService(server, opts) };
}

/**
 * The image library is the members' own (the CLI calls it directly; the handlers check each image's project).
 * Disks and snapshots are made and removed by the orchestrator's jobs, so that a disk never exists without the
 * job that owns it; members read them. Importing a server-side file or pool needs an admin.
 */
export const IMAGE_ACCESS: AccessTable<typeof ImageServiceService> = {
  listImages: "member", getImage: "member", importImage: "admin", uploadImage: "member", downloadImage: "member",
  copyImage: "member", renameImage: "member", deleteImage: "member", setImageVisibility: "member",
  createDisk: INTERNAL, getDisk: "member", listDisks: "member", deleteDisk: INTERNAL,
  createDisks: INTERNAL, getDisks: "member", deleteDisks: INTERNAL,
  createSnapshot: INTERNAL, listSnapshots: "member", getQuota: "member", setQuota: "admin",
};
