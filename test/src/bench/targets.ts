import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startStack } from "../support/stack";
import { IQN_PREFIX, PROJECT, upload } from "./bulk";
import { cpuSeconds, inParallel, mean, percentile, secs } from "./stats";

/**
 * `npm run bench -- targets [--targets 1000] [--parallel 64]`: target-service's CreateTarget and DeleteTarget
 * alone, through its RPC, against the stack's real tgtd (local image driver). N disks are made first (not timed),
 * then N CreateTarget at P in flight, the same N again (the idempotent repeat a retried step makes: new secrets,
 * nothing else), and N DeleteTarget, until tgtd holds none of their CHAP accounts. Each phase prints its throughput, per-call latency and the CPU target-service
 * and tgtd used, so the target step's floor in `bench -- bulk` can be taken apart.
 */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    targets: { type: "string", default: "1000" }, parallel: { type: "string", default: "64" },
  } });
  const n = Number(values.targets);
  const parallel = Number(values.parallel);
  const s = await startStack({ tag: "bench-targets" });
  try {
    const disks = Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(5, "0")}`);
    await upload(s, "golden", 4);
    const backing = new Map<string, Awaited<ReturnType<typeof s.image.createDisk>>["disk"]>();
    const t0 = performance.now();
    await inParallel(disks, parallel, async (disk) => {
      backing.set(disk, (await s.image.createDisk({ project: PROJECT, name: disk, image: "golden" })).disk);
    });
    const target = s.processes.find((p) => p.name === "target-service");
    const cpu = () => ({ service: target ? cpuSeconds(target.pid) : 0, tgtd: cpuSeconds(s.tgtd.pid) });
    console.log(`target-service alone: ${n} targets, ${parallel} in flight, local driver (${secs(performance.now() - t0)} s to make the disks); load ${load()}`);
    const phase = async (name: string, call: (disk: string) => Promise<unknown>) => {
      const before = cpu();
      const start = performance.now();
      const ms = await inParallel(disks, parallel, async (disk) => void (await call(disk)));
      const wall = performance.now() - start;
      const after = cpu();
      console.log(`  ${name.padEnd(8)} ${secs(wall)} s = ${(n / (wall / 1000)).toFixed(1)}/s   per call p50 ${percentile(ms, 50).toFixed(0)} ms, ` +
        `p95 ${percentile(ms, 95).toFixed(0)} ms, mean ${mean(ms).toFixed(0)} ms   cpu target-service ${(after.service - before.service).toFixed(2)} s, ` +
        `tgtd ${(after.tgtd - before.tgtd).toFixed(2)} s`);
    };
    const create = (disk: string) => s.target.createTarget({ project: PROJECT, disk, backing: backing.get(disk)?.backing,
      initiatorIqn: `${IQN_PREFIX}:${PROJECT}.${disk}`, placement: undefined });
    await phase("create", create);
    await phase("repeat", create);
    await phase("delete", (disk) => s.target.deleteTarget({ project: PROJECT, disk }));
    // A delete with company may leave its CHAP accounts to be deleted after the bulk: the work is not done until then.
    const t1 = performance.now();
    const before = cpu();
    while (/^\s*bmi-/m.test(await s.tgtd.tgtadm(["--mode", "account", "--op", "show"]))) await new Promise((r) => setTimeout(r, 20));
    console.log(`  accounts of the deleted targets gone from tgtd ${secs(performance.now() - t1)} s after the last delete answered ` +
      `(cpu target-service ${(cpu().service - before.service).toFixed(2)} s, tgtd ${(cpu().tgtd - before.tgtd).toFixed(2)} s)`);
    console.log(`  load after ${load()}`);
    // Not timed: the disks go the way they came, so that no export outlives the stack.
    await inParallel(disks, parallel, async (disk) => void (await s.image.deleteDisk({ project: PROJECT, name: disk })));
  } finally {
    await s.stop();
  }
}

function load(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
