import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { createClient } from "@bmi/grpc";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { until as untilAsync } from "@bmi/async";
import { REPO_ROOT, freePort, startService, testClientTls, type RunningService } from "@bmi/testing";
import { rejectsWith, sparseImage, upload, type Backend } from "./harness";
import { waitClean } from "./suite";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

/**
 * kill -9 of a separately started image-service while it snapshots a disk, then a restart: no temporary image,
 * snapshot, file or helper process may survive, and the same disk can be snapshotted again.
 */
export async function crashMidSnapshot(backend: Backend): Promise<void> {
  const address = `127.0.0.1:${await freePort()}`;
  const env = { ...backend.env, BMI_IMAGE_LISTEN: address, BMI_AUTH: "none", BMI_LOG_LEVEL: "info" };
  const start = () => startService({ service: "image-service", main: serviceMain("image-service"), address, env, timeoutMs: 60_000 });
  let svc: RunningService = await start();
  let client = createClient(ImageServiceClient, address, { deadlineMs: 120_000, tls: testClientTls() });
  const o = { authorization: "" };
  try {
    // Half of 128 MiB is data: copying it takes long enough to be killed in the middle.
    const data = sparseImage(128, Array.from({ length: 64 }, (_, i) => 2 * i));
    await upload(client, "", { project: "pc", name: "big" }, data);
    await client.createDisk({ project: "pc", name: "node1", image: "big" }, o);
    const snapshot = client.createSnapshot({ project: "pc", disk: "node1", name: "snap" }, o).catch((err: unknown) => err);
    await until(async () => (await backend.leftovers()).length > 0, 30_000);
    await svc.kill();
    assert.ok((await snapshot) instanceof Error, "the snapshot finished before the kill");

    svc = await start();
    client.close();
    client = createClient(ImageServiceClient, address, { deadlineMs: 120_000, tls: testClientTls() }); // the old channel backs off
    // Ceph keeps a killed client's images busy until its watch expires (5 s on the test cluster).
    assert.deepEqual(await waitClean(backend, 30_000), [], "leftovers after restart");
    assert.deepEqual(await strayProcesses(backend.env.BMI_IMAGE_DATA_DIR ?? "/nonexistent"), []);
    await rejectsWith(client.getImage({ project: "pc", name: "snap" }, o), "NOT_FOUND");

    await client.createSnapshot({ project: "pc", disk: "node1", name: "snap" }, o);
    assert.deepEqual(await backend.leftovers(), []);
    await client.deleteDisk({ project: "pc", name: "node1" }, o);
    for (const name of ["big", "snap"]) await client.deleteImage({ project: "pc", name }, o);
  } finally {
    client.close();
    await svc.stop();
  }
  assert.deepEqual(await strayProcesses(backend.env.BMI_IMAGE_DATA_DIR ?? "/nonexistent", { daemonToo: true }), []);
}

const until = (cond: () => Promise<boolean>, timeoutMs: number) => untilAsync("the condition", cond, timeoutMs, 5);

/** Processes whose command line mentions `marker`, the long-lived storage daemon only with `daemonToo`. */
export async function strayProcesses(marker: string, opts: { daemonToo?: boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ").trim();
    if (cmd.includes(marker) && (opts.daemonToo || !/^(\S*\/)?qemu-storage-daemon /.test(cmd))) out.push(`${pid}: ${cmd}`);
  }
  return out;
}

/** SIGKILLs the storage daemons whose PID files are under `dataDir`/qsd (what a failed test may leave running). */
export async function killDaemons(dataDir: string): Promise<void> {
  const names = await readdir(path.join(dataDir, "qsd"), { recursive: true }).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith("qsd.pid"))) {
    try {
      process.kill(Number(await readFile(path.join(dataDir, "qsd", name), "utf8")), "SIGKILL");
    } catch {
      // not running
    }
  }
}
