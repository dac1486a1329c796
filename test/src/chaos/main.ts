import { parseArgs } from "node:util";
import { runScenario, SCENARIOS, type ScenarioResult } from "./scenarios";

/**
 * `npm run chaos -- SCENARIO|all [--nodes N] [--parallel P] [--nats-down S]`: one bulk job of N free nodes (1,000 by
 * default) per scenario while its faults happen, then the audit of the back ends. Exit 1 when any audit finds a
 * problem or a job did not end. Heavy: run it under `flock /tmp/bmi-heavy.lock`.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    nodes: { type: "string", default: "1000" }, parallel: { type: "string", default: "64" }, "nats-down": { type: "string", default: "30" },
  } });
  const name = positionals[0];
  const names = name === "all" ? Object.keys(SCENARIOS).filter((k) => k !== "mixed") : name && SCENARIOS[name] ? [name] : undefined;
  if (!names) {
    process.stderr.write(`usage: npm run chaos -- <${Object.keys(SCENARIOS).join("|")}|all (all but mixed)> [--nodes N] [--parallel P] [--nats-down S]\n`);
    for (const [k, v] of Object.entries(SCENARIOS)) process.stderr.write(`  ${k.padEnd(13)} ${v.about}\n`);
    process.exit(2);
  }
  // Ctrl-C stops the scenario's waits; its stack, Redis, NATS and HIL are stopped on the way out.
  const stop = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => stop.abort(new Error(`stopped by ${sig}`)));
  const results: ScenarioResult[] = [];
  for (const n of names) {
    results.push(await runScenario(n, { nodes: Number(values.nodes), parallel: Number(values.parallel),
      natsDownMs: Number(values["nats-down"]) * 1000, log: (line) => console.log(line), signal: stop.signal }));
  }
  console.log("\nscenario       nodes  seconds  job        ok    failed  audit");
  for (const r of results) {
    console.log(`${r.name.padEnd(14)} ${String(r.nodes).padStart(5)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.state.padEnd(9)} ${String(r.succeeded).padStart(5)} ` +
      `${String(r.failed).padStart(7)}  ${r.report.problems.length === 0 ? "OK" : `${r.report.problems.length} problems`}`);
  }
  if (results.some((r) => r.report.problems.length > 0)) process.exit(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
