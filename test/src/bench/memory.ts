import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startStack, type Stack } from "../support/stack";
import { PROJECT, upload, watchToEnd } from "./bulk";

/**
 * `npm run bench -- memory [--jobs 10000] [--real 20]`: the orchestrator's resident memory with `--jobs` jobs
 * recorded in Redis, and Redis's memory per job. The jobs are children of bulk jobs (1,000 each) for nodes the
 * inventory does not have: each runs its first step against haas-gateway, fails it, and is recorded with its steps
 * and events like any job. `--real` nodes are provisioned and deprovisioned for real first, so the figure per job is
 * also given for whole provision and deprovision records.
 */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { jobs: { type: "string", default: "10000" }, real: { type: "string", default: "20" } } });
  const jobs = Number(values.jobs);
  const real = Number(values.real);
  const s = await startStack({ tag: "bench-memory", orchEnv: { BMI_ORCH_MAX_JOBS: "64", BMI_ORCH_BULK_PARALLEL: "64" } });
  try {
    const orch = s.orchestrators[0]!;
    const mem = () => rss(orch.pid);
    console.log(`memory: ${jobs} jobs recorded, ${real} real provisions; orchestrator pid ${orch.pid}`);
    console.log(`  orchestrator at start           ${mib(mem().rss)} MiB`);

    const nodes = Array.from({ length: real }, (_, i) => `r${String(i + 1).padStart(4, "0")}`);
    await s.registerNodes(nodes);
    await upload(s, "golden", 4);
    const provision = await bulk(s, nodes.map((node) => ({ node, image: "golden" })));
    const deprovisions: string[] = [];
    for (const node of nodes) {
      const { job } = await s.orch.deprovisionNode({ project: PROJECT, node, deleteDisk: true, releaseNode: true, idempotencyKey: "" });
      await watchToEnd(s, job!.id);
      deprovisions.push(job!.id);
    }
    const provBytes = await jobBytes(s, provision.childIds);
    const deprovBytes = await jobBytes(s, deprovisions);
    console.log(`  redis per real provision job    ${kib(provBytes / real)} KiB (its record, steps and event log)`);
    console.log(`  redis per real deprovision job  ${kib(deprovBytes / real)} KiB`);

    const t0 = performance.now();
    const ids: string[] = [];
    for (let done = 0; done < jobs; done += 1000) {
      const count = Math.min(1000, jobs - done);
      const specs = Array.from({ length: count }, (_, i) => ({ node: `m${String(done + i + 1).padStart(6, "0")}`, image: "golden" }));
      const parent = await bulk(s, specs);
      ids.push(...parent.childIds);
    }
    console.log(`  ${ids.length} jobs run and recorded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const recorded = mem();
    console.log(`  orchestrator with them recorded ${mib(recorded.rss)} MiB = ${mb(recorded.rss)} MB (goal: at most ${GOAL_MB} MB)`);
    console.log(`  orchestrator peak so far        ${mib(recorded.hwm)} MiB = ${mb(recorded.hwm)} MB (goal: at most ${GOAL_MB} MB) ${recorded.hwm <= GOAL_MB * 1e6 ? "within" : "OVER"}`);
    // What reading them costs: a page of jobs with their children, and each bulk job with its failures.
    await s.orch.listJobs({ project: PROJECT, state: JobState.JOB_STATE_UNSPECIFIED, limit: 1000, includeChildren: true });
    const read = mem();
    console.log(`  after ListJobs of 1,000         ${mib(read.rss)} MiB (peak ${mib(read.hwm)} MiB)`);
    const bytes = await jobBytes(s, ids);
    console.log(`  redis per failed one-step job   ${kib(bytes / ids.length)} KiB, ${mib(bytes)} MiB for ${ids.length}`);
  } finally {
    await s.stop();
  }
}

async function bulk(s: Stack, specs: Array<{ node: string; image: string }>) {
  const { job } = await s.orch.bulkProvision({ project: PROJECT, specs: { specs: specs.map((x) => ({ ...x, disk: "", nic: "", network: "" })) },
    maxParallel: 64, minSuccess: 0, allOrNothing: false, options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
  await watchToEnd(s, job!.id);
  return (await s.orch.getJob({ id: job!.id })).job!;
}

/** Bytes Redis uses for the jobs' keys (MEMORY USAGE of the record, its steps and its event log). */
async function jobBytes(s: Stack, ids: string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const p = s.redis.pipeline();
    for (const id of ids.slice(i, i + 500)) for (const k of ["", ":steps", ":ev"]) p.memory("USAGE", `${s.prefix}orch:job:${id}${k}`, "SAMPLES", 0);
    for (const [, v] of (await p.exec()) ?? []) total += Number(v ?? 0);
  }
  return total;
}

function rss(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const mb = (b: number) => (b / 1e6).toFixed(0);
/** Issue 16's goal for the orchestrator's RSS with 10,000 jobs recorded (decimal megabytes), the peak included. */
const GOAL_MB = 250;
const kib = (b: number) => (b / 1024).toFixed(2);
