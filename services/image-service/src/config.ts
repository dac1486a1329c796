import path from "node:path";
import { bool, chassisSpec, int, loadServiceConfig, oneOf, str, type ConfigOf } from "@bmi/config";

/** image-service settings. With none set (but its TLS files) it runs the local driver under /var/lib/bmi/images on 127.0.0.1:50051. */
export const imageConfigSpec = {
  // Its Redis (the chassis's): the Ceph driver's locks, instances and change messages, so instances share one pool.
  ...chassisSpec("BMI_IMAGE", "127.0.0.1:50051"),
  driver: oneOf("BMI_IMAGE_DRIVER", ["local", "ceph"], { default: "local", help: "storage back end" }),
  dataRoot: str("BMI_DATA_DIR", { default: "/var/lib/bmi", help: "root of every BMI service's data" }),
  dataDir: str("BMI_IMAGE_DATA_DIR", { default: "", help: "images, disks and temporaries (default BMI_DATA_DIR/images)" }),
  cephConf: str("BMI_IMAGE_CEPH_CONF", { default: "/etc/ceph/ceph.conf", help: "ceph.conf, also handed to target-service" }),
  cephPool: str("BMI_IMAGE_CEPH_POOL", { default: "rbd", help: "the RBD pool of every image and disk" }),
  cephUser: str("BMI_IMAGE_CEPH_USER", { default: "admin", help: "Ceph client id without 'client.'" }),
  cephKeyring: str("BMI_IMAGE_CEPH_KEYRING", {
    default: "", help: "the Ceph user's keyring; empty: the one ceph.conf names, else /etc/ceph/ceph.client.<user>.keyring",
  }),
  leaseMs: int("BMI_IMAGE_LEASE_MS", {
    default: 15_000, min: 500, max: 600_000,
    help: "ceph driver: how long a lock in Redis and an instance's liveness last unless renewed (every third of it); a crashed " +
      "instance's locks are taken over, and its half-made images removed, this long after it stopped",
  }),
  workerThreads: int("UV_THREADPOOL_SIZE", {
    default: 16, min: 4, max: 1024, help: "libuv worker threads: every librbd call runs on one, a flatten for minutes",
  }),
  keepExports: bool("BMI_IMAGE_KEEP_EXPORTS", {
    default: false, help: "local driver: qemu-storage-daemon outlives the service, so disks stay served across restarts",
  }),
  maxVirtualSize: int("BMI_IMAGE_MAX_VIRTUAL_SIZE", {
    default: 2 * 1024 ** 4, min: 1 << 20, help: "bytes: the largest virtual size (and upload) an uploaded or imported image may have",
  }),
  qemuImgMemoryMiB: int("BMI_IMAGE_QEMU_IMG_MEMORY_MIB", {
    default: 1024, min: 512, max: 1 << 20, help: "address space of each qemu-img run on an uploaded or imported qcow2 image",
  }),
  qemuImgSeconds: int("BMI_IMAGE_QEMU_IMG_SECONDS", {
    default: 3600, min: 10, max: 7 * 86400, help: "wall-clock and CPU seconds one qcow2 conversion may take before it is killed",
  }),
};

export type ImageConfig = ConfigOf<typeof imageConfigSpec> & { dataDir: string };

export function loadImageConfig(): ImageConfig {
  const cfg = loadServiceConfig("image-service", imageConfigSpec);
  return { ...cfg, dataDir: path.resolve(cfg.dataDir || path.join(cfg.dataRoot, "images")) };
}
