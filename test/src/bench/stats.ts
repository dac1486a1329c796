import { readFileSync } from "node:fs";
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
