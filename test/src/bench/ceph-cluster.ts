import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "@bmi/testing";

const run = promisify(execFile);

export interface CephCluster {
  conf: string;
  /** image-service environment for this cluster. */
  imageEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** A throw-away single-node Ceph (deploy/ceph-up.sh, memstore) under `dir`, on its own ports. */
export async function startCeph(dir: string, portBase: number): Promise<CephCluster> {
  const env = { ...process.env, CEPH_PORT_BASE: String(portBase), CEPH_STORE: "memstore" };
  const { stdout } = await run("bash", [path.join(REPO_ROOT, "deploy", "ceph-up.sh"), dir], { env, maxBuffer: 16 << 20 });
  const conf = stdout.trim().split("\n").pop() ?? path.join(dir, "ceph.conf");
  return {
    conf,
    imageEnv: { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: conf, BMI_IMAGE_CEPH_POOL: "rbd", BMI_IMAGE_CEPH_USER: "admin" },
    stop: async () => { await run("bash", [path.join(REPO_ROOT, "deploy", "ceph-down.sh"), dir]); },
  };
}
