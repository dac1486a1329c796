import type { Redis } from "@bmi/redis";

/**
 * Per-step figures from the benchmarks (README "Development"; BENCHMARKS.md): a provision (clone, target, boot
 * config, network) takes 0.81 s at the median with the local driver, a bulk job runs at most 34 nodes/s on the
 * reference machine, and a VM's network boot under TCG about 6 s from power-on.
 */
export const FIGURES = { provisionSeconds: 0.81, nodesPerSecond: 34, bootSeconds: 6 };

/** Seconds to provision `n` nodes `parallel` at a time (and boot them, with `boot`), phase after phase. */
export function estimate(phases: number[], parallel: number, boot: boolean): { seconds: number; basis: string } {
  let seconds = 0;
  for (const n of phases) {
    if (n === 0) continue;
    seconds += Math.max(Math.ceil(n / Math.max(1, parallel)) * FIGURES.provisionSeconds, n / FIGURES.nodesPerSecond);
    if (boot) seconds += FIGURES.bootSeconds;
  }
  const basis = `benchmarks: provision p50 ${FIGURES.provisionSeconds} s per node, ${parallel} in parallel, at most ` +
    `${FIGURES.nodesPerSecond} nodes/s${boot ? `, network boot ${FIGURES.bootSeconds} s` : ""}, ${phases.length} phase(s) one after another`;
  return { seconds: Math.round(seconds * 10) / 10, basis };
}

/** The project's node quota and the nodes it holds now: provisioned ones and those its leases hold. */
export async function nodeQuota(redis: Redis, prefix: string, project: string): Promise<{ limit?: number; used: number }> {
  const [limit, prov, held] = await Promise.all([
    redis.hget(`${prefix}quota:${project}`, "nodes"), redis.smembers(`${prefix}provof:${project}`), redis.smembers(`${prefix}sched:held:${project}`),
  ]);
  const nodes = new Set([...prov, ...held.map((m) => m.slice(m.indexOf("|") + 1))]);
  return { ...(limit === null ? {} : { limit: Number(limit) }), used: nodes.size };
}
