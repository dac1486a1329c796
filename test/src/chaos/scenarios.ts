import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { BulkProvisionRequest } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startHilSim, type HilSim } from "@bmi/testing";
import { goldenImage, startStack, type Stack, type StackOptions } from "../support/stack";
import { audit, type AuditReport } from "./audit";
import { privateNats, privateRedis, type Daemon } from "./infra";

export const PROJECT = "chaos";
/** The project's network in HIL, which the hil scenario's nodes join (HIL's networking calls). */
const NETWORK = "chaosnet";

export interface ChaosOptions {
  nodes: number;
  /** The bulk job's max_parallel. */
  parallel: number;
  /** How long NATS stays down in the infra scenario. */
  natsDownMs: number;
  log(line: string): void;
  /** Stops the run (Ctrl-C): the waits throw, and everything started is stopped on the way out. */
  signal?: AbortSignal;
}

export interface ScenarioResult {
  name: string;
  nodes: number;
  seconds: number;
  /** The bulk job as Redis holds it at the end. */
  state: string;
  succeeded: number;
  failed: number;
  /** What was done to the stack, in order, with the job's progress at the time. */
  faults: string[];
  /** Why the failed nodes failed (node names and ids replaced by <n>), with how many. */
  reasons: Record<string, number>;
  report: AuditReport;
}

/** A fault injected when the bulk job reaches a share of its nodes. */
interface Fault { at: number; what: string; run(r: Run): Promise<void> }

/** One scenario's stack, its private Redis and NATS, and the bulk job it runs. */
interface Run { s: Stack; redis: Daemon; nats: Daemon; hil?: HilSim; job: string; natsDownMs: number }

type Scenario = { about: string; faults: Fault[]; hil?: boolean };

const restartOf = (service: string, times = 1): Fault["run"] => async (r) => {
  for (let i = 0; i < times; i++) {
    const proc = r.s.processes.find((p) => p.name === service && p.process.exitCode === null);
    if (!proc) throw new Error(`no running ${service}`);
    await r.s.restart(proc);
  }
};

/**
 * The scenarios of issue 21: each runs one bulk job of N free nodes on the five real services (local image driver,
 * a private tgtd, Redis with an append-only file and NATS with JetStream of its own) and does its faults while the
 * job runs, then audits the back ends (audit.ts).
 */
export const SCENARIOS: Record<string, Scenario> = {
  "orchestrator": { about: "SIGKILL of the orchestrator three times, each time started again", faults: [
    { at: 0.15, what: "SIGKILL orchestrator, restart", run: restartOf("orchestrator") },
    { at: 0.4, what: "SIGKILL orchestrator, restart", run: restartOf("orchestrator") },
    { at: 0.65, what: "SIGKILL orchestrator, restart", run: restartOf("orchestrator") },
  ] },
  "services": { about: "SIGKILL of image-service, target-service and boot-service once each, each started again", faults: [
    { at: 0.15, what: "SIGKILL image-service, restart", run: restartOf("image-service") },
    { at: 0.4, what: "SIGKILL target-service, restart", run: restartOf("target-service") },
    { at: 0.65, what: "SIGKILL boot-service, restart", run: restartOf("boot-service") },
  ] },
  "tgtd": { about: "SIGKILL of tgtd mid-bulk (target-service starts another and puts its targets back)", faults: [
    { at: 0.4, what: "SIGKILL tgtd", run: async (r) => { process.kill(r.s.tgtd.pid, "SIGKILL"); } },
  ] },
  "infra": { about: "Redis restarted (append-only file) and NATS stopped for a while during the bulk", faults: [
    { at: 0.2, what: "Redis stopped (SIGTERM) and started again", run: async (r) => { await r.redis.stop(); await sleep(1000); await r.redis.start(); } },
    { at: 0.45, what: "NATS stopped, started again after natsDownMs", run: async (r) => { await r.nats.stop(); await sleep(r.natsDownMs); await r.nats.start(); } },
  ] },
  "mixed": { about: "one of each in one bulk (npm test's version): every service killed, tgtd, Redis, NATS, HIL 500s, slow and 409",
    hil: true, faults: [
      { at: 0.05, what: "SIGKILL orchestrator, restart", run: restartOf("orchestrator") },
      { at: 0.15, what: "SIGKILL image-service, restart", run: restartOf("image-service") },
      { at: 0.25, what: "SIGKILL target-service, restart", run: restartOf("target-service") },
      { at: 0.35, what: "SIGKILL boot-service, restart", run: restartOf("boot-service") },
      { at: 0.45, what: "SIGKILL tgtd", run: async (r) => { process.kill(r.s.tgtd.pid, "SIGKILL"); } },
      { at: 0.55, what: "Redis stopped and started again", run: async (r) => { await r.redis.stop(); await sleep(500); await r.redis.start(); } },
      { at: 0.65, what: "NATS stopped, started again after natsDownMs", run: async (r) => { await r.nats.stop(); await sleep(r.natsDownMs); await r.nats.start(); } },
      { at: 0.75, what: "HIL: next 10 requests 500, then 1 s per request for 3 s", run: async (r) => {
        r.hil!.failRequests(10, 500);
        r.hil!.setLatency(1000);
        await sleep(3000);
        r.hil!.setLatency(0);
      } },
      { at: 0.85, what: "HIL: next 4 network changes 409 BlockedError", run: async (r) => { r.hil!.failRequests(4, 409, "BlockedError", /connect_network/); } },
    ] },
  "hil": { about: "the HIL simulator answering 500s, slowly (1.5 s a request for 10 s), and 409 BlockedError to network changes (nodes joined to a network)", hil: true, faults: [
    { at: 0.1, what: "HIL: next 20 requests 500", run: async (r) => { r.hil!.failRequests(20, 500); } },
    { at: 0.35, what: "HIL: 1.5 s per request for 10 s", run: async (r) => { r.hil!.setLatency(1500); await sleep(10_000); r.hil!.setLatency(0); } },
    { at: 0.6, what: "HIL: next 10 network changes 409 BlockedError", run: async (r) => { r.hil!.failRequests(10, 409, "BlockedError", /connect_network/); } },
  ] },
};

/** Runs one scenario from a fresh stack to its audit, and stops everything it started whatever happens. */
export async function runScenario(name: string, o: ChaosOptions): Promise<ScenarioResult> {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`no scenario ${name}: one of ${Object.keys(SCENARIOS).join(", ")}`);
  const dir = await mkdtemp(path.join(tmpdir(), `bmi-chaos-${name}-`));
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const redis = await privateRedis(path.join(dir, "redis"));
    cleanups.push(() => redis.stop());
    const nats = await privateNats(path.join(dir, "nats"));
    cleanups.push(() => nats.stop());
    const hil = sc.hil ? await startHil(dir, o.nodes) : undefined;
    if (hil) cleanups.push(() => hil.sim.close());
    const opts: StackOptions = {
      tag: `chaos-${name}`, redisUrl: redis.url, natsUrl: nats.url, ...(hil ? { haasEnv: hil.env } : {}),
      // The orchestrator's own retry defaults (200 ms doubling to 10 s, 8 tries: about 20 s), not the test stack's
      // short ones: a service restarting takes seconds.
      orchEnv: { BMI_ORCH_MAX_JOBS: String(Math.max(o.parallel, 64)), BMI_ORCH_BULK_PARALLEL: String(o.parallel),
        BMI_ORCH_RETRY_BASE_MS: "200", BMI_ORCH_RETRY_MAX_MS: "10000" },
    };
    const s = await startStack(opts);
    cleanups.unshift(() => s.stop());
    const nodes = Array.from({ length: o.nodes }, (_, i) => `x${String(i + 1).padStart(5, "0")}`);
    if (!hil) await s.registerNodes(nodes);
    await s.image.importImage({ project: PROJECT, name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
    o.log(`${name}: ${sc.about}; ${o.nodes} nodes, max_parallel ${o.parallel}`);
    const t0 = performance.now();
    const { job } = await s.orch.bulkProvision(BulkProvisionRequest.fromPartial({
      project: PROJECT, specs: { specs: nodes.map((node) => ({ node, image: "golden", disk: "", nic: "", network: hil ? NETWORK : "" })) },
      maxParallel: o.parallel, minSuccess: 0, allOrNothing: false, options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 },
      idempotencyKey: "",
    }));
    const run: Run = { s, redis, nats, ...(hil ? { hil: hil.sim } : {}), job: job!.id, natsDownMs: o.natsDownMs };
    const faults: string[] = [];
    for (const f of sc.faults) {
      const p = await waitProgress(s, run.job, f.at, o.signal);
      const line = `${(p * 100).toFixed(0)}% done: ${f.what}`;
      o.log(`  ${line}`);
      faults.push(line);
      await f.run(run);
    }
    const end = await waitEnd(s, run.job, 30 * 60_000, o.signal);
    const seconds = (performance.now() - t0) / 1000;
    o.log(`  job ${end.state} after ${seconds.toFixed(1)} s: ${end.succeeded} succeeded, ${end.failed} failed or cancelled`);
    const reasons = new Map<string, number>();
    for (const f of (await s.orch.getJob({ id: run.job })).job?.failures ?? []) {
      const why = f.error.replace(/\b(x\d{5}|[0-9a-f-]{36})\b/g, "<n>");
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    for (const [why, n] of reasons) o.log(`    ${n} x ${why}`);
    await drained(s);
    const report = await audit(s, { project: PROJECT, dataDir: path.join(s.dir, "images"), natsUrl: nats.url,
      ...(hil ? { allocated: () => [...hil.sim.state.nodes.values()].filter((n) => n.project === PROJECT).map((n) => n.name) } : {}) });
    o.log(`  audit: ${report.jobs} jobs, ${report.provisioned} provisioned, ${report.disks} disks, ${report.targets} targets in tgtd, ` +
      `${report.scripts} boot scripts, ${report.exports} exports${report.allocated !== undefined ? `, ${report.allocated} allocated in HIL` : ""}, ` +
      `${report.events} events: ${report.problems.length === 0 ? "OK" : `${report.problems.length} problems`}`);
    for (const p of report.problems.slice(0, 20)) o.log(`    ${p}`);
    return { name, nodes: o.nodes, seconds, ...end, faults, reasons: Object.fromEntries(reasons), report };
  } finally {
    for (const c of cleanups) await c().catch((err: Error) => o.log(`  cleanup: ${err.message}`));
    await rm(dir, { recursive: true, force: true });
  }
}

/** A HIL simulator with the run's nodes, BMI's service account and the haas-gateway settings that use it. */
async function startHil(dir: string, n: number): Promise<{ sim: HilSim; env: Record<string, string> }> {
  const sim = await startHilSim({ pendingMs: 20 });
  sim.state.addUser("bmi-svc", "svc-pw", { admin: true });
  sim.state.addProject(PROJECT);
  sim.state.addNetwork(NETWORK, { owner: PROJECT, access: [PROJECT] });
  for (let i = 1; i <= n; i++) {
    sim.state.addNode(`x${String(i).padStart(5, "0")}`, { nics: [{ label: "eth0", mac: `52:54:00:ee:${hex(i >> 8)}:${hex(i)}` }] });
  }
  await writeFile(path.join(dir, "hil.pass"), "svc-pw\n");
  return { sim, env: { BMI_HAAS_DRIVER: "hil", BMI_HAAS_HIL_URL: sim.url, BMI_HAAS_HIL_USER: "bmi-svc",
    BMI_HAAS_HIL_PASSWORD_FILE: path.join(dir, "hil.pass") } };
}

const hex = (n: number) => (n & 0xff).toString(16).padStart(2, "0");

/** The bulk job's counters, read from Redis (the orchestrator may be down). */
async function progress(s: Stack, job: string): Promise<{ state: string; total: number; succeeded: number; failed: number }> {
  const [state, total, succeeded, failed, cancelled] = await s.redis.hmget(`${s.prefix}orch:job:${job}`, "state", "total", "succeeded", "failed", "cancelled");
  return { state: state ?? "", total: Number(total ?? 0), succeeded: Number(succeeded ?? 0), failed: Number(failed ?? 0) + Number(cancelled ?? 0) };
}

/** Waits for a share of the job's nodes to end; a job that makes no progress for 5 minutes is a failure. */
async function waitProgress(s: Stack, job: string, share: number, signal?: AbortSignal): Promise<number> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    signal?.throwIfAborted();
    const p = await progress(s, job).catch(() => undefined);
    if (p && p.total > 0) {
      const done = (p.succeeded + p.failed) / p.total;
      if (done >= share || TERMINAL.has(p.state)) return done;
      if (done !== last) [last, since] = [done, Date.now()];
    }
    if (Date.now() - since > 5 * 60_000) throw new Error(`bulk job ${job} made no progress for 5 minutes (${JSON.stringify(p)})`);
    await sleep(100);
  }
}

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "PARTIAL"]);

async function waitEnd(s: Stack, job: string, timeoutMs: number, signal?: AbortSignal): Promise<{ state: string; succeeded: number; failed: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const p = await progress(s, job).catch(() => undefined);
    if (p && TERMINAL.has(p.state)) return { state: p.state, succeeded: p.succeeded, failed: p.failed };
    if (Date.now() > until) throw new Error(`bulk job ${job} did not end in ${timeoutMs / 1000} s (${JSON.stringify(p)})`);
    await sleep(250);
  }
}

/** Every event the orchestrators queued has gone to NATS: the relay queue and each instance's batch are empty. */
async function drained(s: Stack, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const keys = [`${s.prefix}orch:relay`, ...(await s.redis.keys(`${s.prefix}orch:relay:inflight:*`))];
    const lens = await Promise.all(keys.map((k) => s.redis.llen(k).catch(() => 0)));
    if (lens.every((n) => n === 0)) return;
    if (Date.now() > until) throw new Error(`events still waiting for NATS after ${timeoutMs / 1000} s: ${lens.join(",")}`);
    await sleep(250);
  }
}
