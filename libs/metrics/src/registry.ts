import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The process's one registry. Metrics are declared where they are measured (a driver, the runner, the RPC
 * wrapper) and found again by name: a module loaded twice, or a test that builds several servers in one
 * process, gets the same series instead of a "metric already registered" error.
 */
export const registry = new Registry();

let defaultsOn = false;

/** Labels every series of this process carries (the service's name), and Node's own process metrics. */
export function identifyProcess(service: string): void {
  registry.setDefaultLabels({ service });
  if (!defaultsOn) collectDefaultMetrics({ register: registry });
  defaultsOn = true;
}

/** Seconds, from a fast in-memory call to a long qemu-img convert or a node's boot. */
export const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600];

export function histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets = SECONDS): Histogram<L> {
  return (registry.getSingleMetric(name) as Histogram<L> | undefined)
    ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/** A gauge read at scrape time (a queue's length), or set by the code that changes it when `collect` is absent. */
export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (g: Gauge<L>) => void | Promise<void>): Gauge<L> {
  const existing = registry.getSingleMetric(name) as Gauge<L> | undefined;
  if (existing) return existing;
  return new Gauge({
    name, help, labelNames, registers: [registry],
    ...(collect ? { async collect(this: Gauge<L>) { await collect(this); } } : {}),
  });
}

/**
 * Times `fn` into `h` with `labels` plus `outcome` ("ok" or "error"): the latency of a back end's failures is
 * as telling as that of its successes, and kept apart from it.
 */
export async function timed<L extends string, T>(
  h: Histogram<L | "outcome">, labels: Partial<Record<L, string>>, fn: () => Promise<T>,
): Promise<T> {
  const end = h.startTimer(labels as Partial<Record<L | "outcome", string>>);
  try {
    const res = await fn();
    end({ outcome: "ok" } as Partial<Record<L | "outcome", string>>);
    return res;
  } catch (err) {
    end({ outcome: "error" } as Partial<Record<L | "outcome", string>>);
    throw err;
  }
}
