import path from "node:path";
import { bool, int, loadConfigOrExit, oneOf, serverSpec, str, type ConfigOf } from "@bmi/config";

/** image-service settings. With none set it runs the local driver under /var/lib/bmi/images on 0.0.0.0:50051. */
export const imageConfigSpec = {
  ...serverSpec("BMI_IMAGE", "0.0.0.0:50051"),
  driver: oneOf("BMI_IMAGE_DRIVER", ["local", "ceph"], { default: "local", help: "storage back end" }),
  dataRoot: str("BMI_DATA_DIR", { default: "/var/lib/bmi", help: "root of every BMI service's data" }),
  dataDir: str("BMI_IMAGE_DATA_DIR", { default: "", help: "images, disks and temporaries (default BMI_DATA_DIR/images)" }),
  cephConf: str("BMI_IMAGE_CEPH_CONF", { default: "/etc/ceph/ceph.conf", help: "ceph.conf, also handed to target-service" }),
  cephPool: str("BMI_IMAGE_CEPH_POOL", { default: "rbd" }),
  cephUser: str("BMI_IMAGE_CEPH_USER", { default: "admin", help: "Ceph client id without 'client.'" }),
  workerThreads: int("UV_THREADPOOL_SIZE", {
    default: 16, min: 4, max: 1024, help: "libuv worker threads: every librbd call runs on one, a flatten for minutes",
  }),
  keepExports: bool("BMI_IMAGE_KEEP_EXPORTS", {
    default: false, help: "local driver: qemu-storage-daemon outlives the service, so disks stay served across restarts",
  }),
};

export type ImageConfig = ConfigOf<typeof imageConfigSpec> & { dataDir: string };

export function loadImageConfig(): ImageConfig {
  const cfg = loadConfigOrExit("image-service", imageConfigSpec);
  return { ...cfg, dataDir: path.resolve(cfg.dataDir || path.join(cfg.dataRoot, "images")) };
}
