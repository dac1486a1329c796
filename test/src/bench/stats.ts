import { readdirSync, readFileSync } from "node:fs";
import { eachLimit } from "@bmi/async";

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Runs `fn` over `items` with at most `limit` in flight; answers each item's duration in ms. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  await eachLimit(items, limit, async (item) => {
    const t0 = performance.now();
    await fn(item);
    times.push(performance.now() - t0);
  });
  return times;
}

export const secs = (ms: number) => (ms / 1000).toFixed(2);

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by every process on the machine, grouped: a BMI service by its name, Redis, NATS, tgtd,
 * the storage daemons, this bench (`bench`), everything else (`other`); `machine` is the whole machine's busy time
 * (/proc/stat, which also counts processes that have exited). Two readings' difference is a window's cost.
 */
export function cpuByProcess(): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  const hz = 100;
  const cpuLine = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  add("machine", cpuLine.reduce((a, b, i) => a + (i === 3 || i === 4 ? 0 : b), 0) / hz);
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = /\((.*)\)/.exec(stat)?.[1] ?? "";
      const fields = stat.replace(/^.*\) /, "").split(" ");
      const secs = (Number(fields[11]) + Number(fields[12])) / hz;
      if (secs === 0) continue;
      let group = "other";
      if (Number(pid) === process.pid) group = "bench";
      else if (comm === "redis-server") group = "redis";
      else if (comm === "nats-server") group = "nats";
      else if (comm === "tgtd") group = "tgtd";
      else if (comm.startsWith("qemu-storage")) group = "storage-daemons";
      else if (comm === "node" || comm.startsWith("MainThread")) {
        group = /services\/([a-z-]+)\/dist\/main\.js/.exec(readFileSync(`/proc/${pid}/cmdline`, "utf8"))?.[1] ?? "other";
      }
      add(group, secs);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** "name 1.2  name 3.4 ..." of the difference between two cpuByProcess readings, largest first, machine last. */
export function cpuWindow(before: Map<string, number>, after: Map<string, number>): string {
  const keys = [...after.keys()].filter((k) => k !== "machine");
  const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  return `${keys.filter((k) => d(k) >= 0.05).sort((a, b) => d(b) - d(a)).map((k) => `${k} ${d(k).toFixed(1)}`).join("  ")}  (machine ${d("machine").toFixed(1)})`;
}
