import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { eachLimit } from "@bmi/async";
import { createClient, noneAuth, type PromiseClient } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { ImageServiceClient, UploadHeader } from "@bmi/proto/bmi/image/v1/image";
import { startCeph, testClientTls, testPki, type TestCeph } from "@bmi/testing";
import { CephDriver, LocalDriver, createImageServer, type StorageDriver } from "@bmi/image-service";
import { cpuSeconds } from "./stats";

/**
 * `npm run bench -- image [local|ceph] [--disks N] [--concurrency C]`: creates and deletes N disks (default 200)
 * through image-service's gRPC API, C calls in flight (default 8), and then the same creates and deletes as plain
 * driver calls (the back-end calls only: no gRPC, auth, locks or catalog) at the same concurrency: the floor.
 * Client and server share this process, so the difference is the whole gRPC round trip on the same cores. Each
 * run also prints the CPU its storage daemons (local: the qemu-storage-daemons serving this run's data directory)
 * used per disk created and deleted.
 */
export async function run(args: string[]): Promise<void> {
  const drivers = args.filter((a) => a === "local" || a === "ceph");
  const disks = Number(option(args, "--disks") ?? 200);
  const concurrency = Number(option(args, "--concurrency") ?? 8);
  const rows: string[] = [];
  for (const kind of drivers.length > 0 ? drivers : ["local", "ceph"]) {
    rows.push(await benchDriver(kind as "local" | "ceph", disks, concurrency));
  }
  process.stdout.write(`\nimage-service: ${disks} disks created and deleted, ${concurrency} in flight\n`);
  process.stdout.write(`driver  service (gRPC)                                floor (driver calls)                          service/floor  storage daemons' CPU per disk (service, floor)\n${rows.join("\n")}\n`);
}

async function benchDriver(kind: "local" | "ceph", n: number, concurrency: number): Promise<string> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `bmi-bench-${kind}-`));
  let ceph: TestCeph | undefined;
  try {
    if (kind === "ceph") ceph = await startCeph();
    const log = silentLogger();
    const driver: StorageDriver = ceph
      ? new CephDriver({ conf: ceph.conf, pool: ceph.pool, user: ceph.user, dataDir, log })
      : new LocalDriver({ dataDir, log });
    const svc = await createImageServer({ driver, log, auth: noneAuth(), transport: { tls: true, files: testPki().files("image-service") } });
    const port = await svc.server.listen("127.0.0.1:0");
    const client = createClient(ImageServiceClient, `127.0.0.1:${port}`, { deadlineMs: 120_000, tls: testClientTls() });
    try {
      await uploadGolden(client);
      const image = svc.images.catalog.image({ project: "bench", name: "golden" });
      if (!image) throw new Error("golden image missing");
      const viaService = (names: string[]) => createAndDelete(names, concurrency,
        (name) => client.createDisk({ project: "bench", name, image: "golden" }).then(() => undefined),
        (name) => client.deleteDisk({ project: "bench", name }).then(() => undefined));
      const viaDriver = (names: string[]) => createAndDelete(names, concurrency,
        (name) => driver.createDisk({ project: "bench", name }, image).then(() => undefined),
        (name) => driver.deleteDisk({ project: "bench", name }));
      const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
      // Warm-up: JIT, connections, and the local driver's first overlay (a qemu-img run) are not measured.
      await viaService(names("warm-svc", 2 * concurrency));
      await viaDriver(names("warm-raw", 2 * concurrency));
      let cpu = daemonCpu(dataDir);
      const service = await viaService(names("node", n));
      const serviceCpu = cpuSince(cpu, (cpu = daemonCpu(dataDir)));
      const floor = await viaDriver(names("raw", n));
      const floorCpu = cpuSince(cpu, daemonCpu(dataDir));
      await client.deleteImage(image);
      const perDisk = (s: number) => `${((s / n) * 1000).toFixed(2)} ms`;
      return `${kind.padEnd(8)}${service.text.padEnd(46)}${floor.text.padEnd(46)}${(service.perSecond / floor.perSecond).toFixed(2).padEnd(15)}` +
        (kind === "local" ? `${perDisk(serviceCpu)}, ${perDisk(floorCpu)}` : "-");
    } finally {
      client.close();
      await svc.server.shutdown();
    }
  } finally {
    await ceph?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * CPU seconds (user + system) used so far by each qemu-storage-daemon whose command line names a file under `dir`
 * (its QMP socket): this run's daemons, not those of a stack running beside the bench.
 */
function daemonCpu(dir: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("qemu-storage") ||
        !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${dir}/`)) continue;
    } catch {
      continue; // gone meanwhile
    }
    out.set(Number(pid), cpuSeconds(Number(pid)));
  }
  return out;
}

/** The CPU seconds used between two daemonCpu readings (a daemon started meanwhile counts from zero). */
function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, secs] of after) sum += secs - (before.get(pid) ?? 0);
  return sum;
}

/** Creates every disk, then deletes every disk, `concurrency` at a time; disks per second over both phases. */
async function createAndDelete(
  names: string[], concurrency: number, create: (n: string) => Promise<void>, remove: (n: string) => Promise<void>,
): Promise<{ perSecond: number; text: string }> {
  const t0 = performance.now();
  await eachLimit(names, concurrency, create);
  const t1 = performance.now();
  await eachLimit(names, concurrency, remove);
  const t2 = performance.now();
  const rate = (ms: number) => (names.length / (ms / 1000)).toFixed(0);
  const perSecond = names.length / ((t2 - t0) / 1000);
  return { perSecond, text: `${perSecond.toFixed(0)} disks/s (create ${rate(t1 - t0)}/s, delete ${rate(t2 - t1)}/s)` };
}

/** A 64 MiB image with a little data: disks are copy-on-write, so its size hardly matters. */
async function uploadGolden(client: PromiseClient<ImageServiceClient>): Promise<void> {
  const data = Buffer.alloc(64 << 20);
  data.fill(0xab, 0, 1 << 20);
  const header = UploadHeader.fromPartial({
    project: "bench", name: "golden", sizeBytes: data.length, checksum: createHash("sha256").update(data).digest("hex"),
  });
  await new Promise<void>((resolve, reject) => {
    const call = client.raw.uploadImage(client.metadata(), client.callOptions(), (err) => (err ? reject(err) : resolve()));
    call.write({ header });
    for (let off = 0; off < data.length; off += 1 << 20) call.write({ chunk: data.subarray(off, off + (1 << 20)) });
    call.end();
  });
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
