import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { STOCK_TGT_MODULES, startCeph, startTgtd, tempDir, type TestCeph, type TestTgtd } from "@bmi/testing";
import { cpuSeconds, inParallel, mean, percentile } from "./stats";

const exec = promisify(execFile);
const MiB = 1 << 20;

type Variant = "stock" | "patched";

interface Options {
  luns: number;
  variants: Variant[];
  /** tgtd -t for each variant. */
  threads: Record<Variant, number>;
  /** LUNs read at once for the throughput figure, and MiB read from each. */
  readLuns: number;
  readMiB: number;
}

/**
 * `npm run bench -- tgt-rbd --luns N [--variant stock|patched|both] [--stock-threads T] [--threads T]
 * [--read-luns R] [--read-mib M]`: N copy-on-write clones of one image exported by one tgtd with `--bstype rbd`,
 * first with the tgt-rbd package's own module (a Ceph client and -t I/O threads per LUN; -t 16, tgtd's default,
 * unless --stock-threads), then with the patched one deploy/tgt/build.sh installs (one client per tgtd, -t workers
 * shared by all LUNs; --threads, default 16). For each: tgtd's threads, RSS and CPU with all N LUNs, the time to
 * create one target (target, rbd LUN, ACL) against its floor (the same three tgtadm calls with a null LUN, in the
 * same tgtd), and the read throughput of R LUNs read at once over iSCSI against its floor (the same clones read
 * with librbd directly, `rbd bench`).
 */
export async function run(args: string[]): Promise<void> {
  const variant = option(args, "--variant") ?? "both";
  const opts: Options = {
    luns: Number(option(args, "--luns") ?? 50),
    variants: variant === "both" ? ["stock", "patched"] : [variant as Variant],
    threads: { stock: Number(option(args, "--stock-threads") ?? 16), patched: Number(option(args, "--threads") ?? 16) },
    readLuns: Number(option(args, "--read-luns") ?? 4),
    readMiB: Number(option(args, "--read-mib") ?? 64),
  };
  guardThreads(opts);
  const dir = tempDir("bmi-bench-tgt-rbd-");
  const ceph = await startCeph();
  try {
    const clones = await makeClones(ceph, opts);
    const rows: string[] = [];
    for (const v of opts.variants) rows.push(await benchVariant(v, ceph, clones, opts, dir));
    const floor = await readFloor(ceph, clones, opts);
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    process.stdout.write(`\ntgt --bstype rbd: ${opts.luns} clone LUNs in one tgtd; ${new Date().toISOString()}, load ${load}\n`);
    process.stdout.write("variant  -t   threads (per LUN)  RSS MB (per LUN)  tgtd CPU s  create ms mean/p95 (null-LUN floor)  " +
      `read MiB/s, ${opts.readLuns} LUNs at once (librbd floor)\n`);
    process.stdout.write(`${rows.map((r) => `${r}  ${floor.toFixed(0)}`).join("\n")}\n`);
  } finally {
    await ceph.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Refuses a run whose stock tgtd would take a large share of this machine's PIDs (every thread is one). */
function guardThreads(opts: Options): void {
  if (!opts.variants.includes("stock")) return;
  const projected = opts.luns * (opts.threads.stock + 15);
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  if (projected > pidMax / 3) {
    // Every thread takes a PID from the same space as everybody else's processes on this machine.
    throw new Error(`stock tgt-rbd with ${opts.luns} LUNs and -t ${opts.threads.stock} needs about ${projected} threads; ` +
      `pid_max is ${pidMax} for every process here: use --variant patched, or --stock-threads 1 and fewer LUNs`);
  }
}

/** A base image with readMiB of data, a protected snapshot, and `luns` clones of it. */
async function makeClones(ceph: TestCeph, opts: Options): Promise<string[]> {
  const rbd = (a: string[]) => exec("rbd", ["-c", ceph.conf, "--id", ceph.user, ...a], { maxBuffer: 16 << 20 });
  await rbd(["create", "--size", `${Math.max(1024, opts.readMiB * 2)}M`, `${ceph.pool}/golden`]);
  await rbd(["bench", "--io-type", "write", "--io-size", "4M", "--io-total", `${opts.readMiB}M`, "--io-pattern", "seq", `${ceph.pool}/golden`]);
  await rbd(["snap", "create", `${ceph.pool}/golden@base`]);
  await rbd(["snap", "protect", `${ceph.pool}/golden@base`]);
  const clones = Array.from({ length: opts.luns }, (_, i) => `disk-${i}`);
  const t0 = performance.now();
  await inParallel(clones, 8, async (c) => { await rbd(["clone", `${ceph.pool}/golden@base`, `${ceph.pool}/${c}`]); });
  process.stderr.write(`${opts.luns} clones in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return clones;
}

async function benchVariant(v: Variant, ceph: TestCeph, clones: string[], opts: Options, dir: string): Promise<string> {
  const tgtd = await startTgtd({ dir, ioThreads: opts.threads[v], ...(v === "stock" ? { modules: STOCK_TGT_MODULES } : {}) });
  try {
    const idle = threadsOf(tgtd.pid);
    const idleRss = rssMB(tgtd.pid);
    const cpu0 = cpuSeconds(tgtd.pid);
    const bsopts = `conf=${ceph.conf};id=${ceph.user}`;
    const creates = await createTargets(tgtd, clones.map((c, i) => ({ tid: i + 1, lun: ["--bstype", "rbd", "--backing-store", `${ceph.pool}/${c}`, "--bsopts", bsopts] })));
    const cpu = cpuSeconds(tgtd.pid) - cpu0;
    const threads = threadsOf(tgtd.pid);
    const rss = rssMB(tgtd.pid);
    const floorTids = Array.from({ length: Math.min(100, clones.length) }, (_, i) => ({ tid: clones.length + i + 1, lun: ["--bstype", "null", "--backing-store", `null-${i}`] }));
    const floor = await createTargets(tgtd, floorTids);
    const read = await readOverIscsi(tgtd, clones, opts);
    const n = clones.length;
    return [
      v.padEnd(9), String(opts.threads[v]).padEnd(5),
      `${threads} (${((threads - idle) / n).toFixed(2)})`.padEnd(19),
      `${rss.toFixed(0)} (${((rss - idleRss) / n).toFixed(2)})`.padEnd(18),
      cpu.toFixed(2).padEnd(12),
      `${mean(creates).toFixed(1)}/${percentile(creates, 95).toFixed(1)} (${mean(floor).toFixed(1)})`.padEnd(37),
      read.toFixed(0),
    ].join("");
  } finally {
    await tgtd.stop();
  }
}

/** Creates each target with its LUN 1 and an open ACL, one after another as target-service does; ms per target. */
async function createTargets(tgtd: TestTgtd, targets: Array<{ tid: number; lun: string[] }>): Promise<number[]> {
  const times: number[] = [];
  for (const t of targets) {
    const tid = String(t.tid);
    const t0 = performance.now();
    await tgtd.tgtadm(["--mode", "target", "--op", "new", "--tid", tid, "--targetname", iqn(t.tid)]);
    await tgtd.tgtadm(["--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", "1", ...t.lun]);
    await tgtd.tgtadm(["--mode", "target", "--op", "bind", "--tid", tid, "--initiator-address", "ALL"]);
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * Reads readMiB from readLuns LUNs spread over the set, all at once (qemu-img bench: 256 KiB reads, 8 in flight);
 * MiB/s, the sum of each reader's own rate (its process start and iSCSI login left out).
 */
async function readOverIscsi(tgtd: TestTgtd, clones: string[], opts: Options): Promise<number> {
  const picks = spread(clones.length, opts.readLuns);
  const rates = await Promise.all(picks.map(async (i) => {
    const { stdout } = await exec("qemu-img", [
      "bench", "-f", "raw", "-c", String((opts.readMiB * MiB) / (256 << 10)), "-s", "256K", "-d", "8",
      `iscsi://${tgtd.portal}/${iqn(i + 1)}/1`,
    ]);
    return opts.readMiB / figure(/Run completed in ([\d.]+) seconds/.exec(stdout)?.[1], stdout);
  }));
  return rates.reduce((a, b) => a + b, 0);
}

/** The same clones read the same way with librbd (`rbd bench`), no iSCSI or tgtd: the floor; MiB/s summed. */
async function readFloor(ceph: TestCeph, clones: string[], opts: Options): Promise<number> {
  const picks = spread(clones.length, opts.readLuns);
  const rates = await Promise.all(picks.map(async (i) => {
    const { stdout } = await exec("rbd", [
      "-c", ceph.conf, "--id", ceph.user, "bench", "--io-type", "read", "--io-size", "256K", "--io-threads", "8",
      "--io-total", `${opts.readMiB}M`, "--io-pattern", "seq", `${ceph.pool}/${clones[i]}`,
    ]);
    return figure(/ops\/sec:\s*([\d.]+)/.exec(stdout)?.[1], stdout) / 4; // 256 KiB reads
  }));
  return rates.reduce((a, b) => a + b, 0);
}

function figure(found: string | undefined, output: string): number {
  if (found === undefined) throw new Error(`no figure in: ${output.slice(-300)}`);
  return Number(found);
}

const iqn = (tid: number) => `iqn.2026-01.org.example.bench:rbd-${tid}`;
const spread = (n: number, k: number) => Array.from({ length: Math.min(n, k) }, (_, j) => Math.floor((j * n) / Math.min(n, k)));

function threadsOf(pid: number): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

function rssMB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
