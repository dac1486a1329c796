import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { startStack } from "../support/stack";
import { FUZZ_DEFAULTS, fuzzStack } from "./fuzz-stack";
import { figuresTable, methodLines, problems } from "./report";

/**
 * `npm run bench -- fuzz [--calls N] [--seed S] [--concurrency C]`: N hostile requests (default 10,000) to every
 * service of a private stack, one service after another; prints per-service figures and every failure, and fails
 * when there is one.
 */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { calls: { type: "string" }, seed: { type: "string" }, concurrency: { type: "string" } } });
  const calls = Number(values.calls ?? 10_000);
  const seed = Number(values.seed ?? randomInt(2 ** 31));
  const concurrency = Number(values.concurrency ?? FUZZ_DEFAULTS.concurrency);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`fuzz: ${calls} requests per service, ${concurrency} in flight, ${FUZZ_DEFAULTS.limits.deadlineMs} ms deadline, seed ${seed}`);
  out(`load before: ${uptime()}`);
  const stack = await startStack({ tag: "fuzz-bench" });
  try {
    const t0 = performance.now();
    const result = await fuzzStack(stack, { ...FUZZ_DEFAULTS, seed, calls, concurrency },
      (f) => out(`  ${f.service}: ${f.calls} calls in ${f.seconds.toFixed(1)} s, ${f.failureCount} failures`));
    out(`\n${methodLines(result.figures).join("\n")}`);
    out(`\n${figuresTable(result.figures)}`);
    const health = Object.entries(result.health).map(([k, v]) => `${k} ${v}`).join(", ");
    out(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s; health after: ${health}`);
    out(`load after: ${uptime()}`);
    const found = problems(result, seed);
    if (found.length > 0) throw new Error(`${found.length} problems:\n${found.join("\n")}`);
  } finally {
    await stack.stop();
  }
}

function uptime(): string {
  return execFileSync("uptime", { encoding: "utf8" }).trim();
}
