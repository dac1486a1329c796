import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ImageFormat, type UploadImageResponse } from "@bmi/proto/bmi/image/v1/image";
import { ALL_NODE_STATES, EventBus } from "@bmi/events";
import { silentLogger } from "@bmi/log";
import { NodeEvent } from "@bmi/proto/bmi/events/v1/events";
import { JobState, WatchJobRequest, type Job, type WatchJobResponse } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { GetTargetResponse } from "@bmi/proto/bmi/target/v1/target";
import { iscsiReadHead } from "@bmi/testing";
import { startStack } from "../support/stack";
import { runFloor } from "./bulk-floor";
import { hostFigures, startHostsStack, type BenchStack } from "./bulk-hosts";
import { startCeph, type CephCluster } from "./ceph-cluster";
import { cpuByProcess, cpuSeconds, cpuWindow, inParallel, mean, percentile, secs } from "./stats";

export const PROJECT = "bench";
export const IQN_PREFIX = "iqn.2026-01.org.example.bmi.node";

/**
 * `npm run bench -- bulk --nodes N [--driver ceph|local] [--parallel P] [--limits image=64,hil=64,...] [--profile]
 * [--target-hosts H] [--batch B] [--floor-first] [--cold] [--release-per-node]`:
 * provisions N nodes to ready-to-boot through the orchestrator (one bulk job) and deprovisions them, then makes the
 * same service calls in a plain loop at the same concurrency (the floor), all in one run against the five real
 * services. `--profile` writes a V8 CPU profile of each service for the whole run (cpu-profile-hook.ts, written
 * when the service exits at the end) into .run/profiles/bulk-<time>/<service>-<pid>-<window>.cpuprofile (windows:
 * orch-provision, orch-deprovision, floor-provision, floor-deprovision and what lies between), for Chrome DevTools
 * or speedscope. `--target-hosts H` (ceph only) runs H target hosts, each in a network namespace of its own address
 * with its tgtd and target-service (multihost/lab-stack.ts), the orchestrator placing the targets, the floor
 * spreading them evenly; tgtd's threads and RSS per host are printed with the targets in place. `--batch B` is
 * BMI_ORCH_BATCH_IN_FLIGHT for the orchestrator and the floor alike (default 4; 0: every call its own).
 * Both measured runs find the services warm: a warm-up floor of every node runs first, unmeasured (`--cold` skips
 * it); `--floor-first` measures the floor before the orchestrated run. The nodes are released with one BulkDeprovision
 * job, as an operator releases a project's nodes (`--release-per-node`: a DeprovisionNode call per node instead).
 */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    nodes: { type: "string", default: "100" }, driver: { type: "string", default: "ceph" }, parallel: { type: "string", default: "64" },
    limits: { type: "string", default: "" }, profile: { type: "boolean", default: false }, "target-hosts": { type: "string", default: "1" },
    batch: { type: "string", default: "4" }, "floor-first": { type: "boolean", default: false },
    cold: { type: "boolean", default: false }, "release-per-node": { type: "boolean", default: false },
  } });
  const batch = Number(values.batch);
  if (!(batch >= 0)) throw new Error(`--batch ${values.batch}: calls in flight before batching, 0 or more`);
  const hosts = Number(values["target-hosts"]);
  if (!(hosts >= 1)) throw new Error(`--target-hosts ${values["target-hosts"]}: a number of hosts, 1 or more`);
  if (hosts > 1 && values.driver !== "ceph") throw new Error("--target-hosts needs --driver ceph: a file-backed disk is on one host only");
  const n = Number(values.nodes);
  const parallel = Number(values.parallel);
  const dir = await mkdtemp(path.join(tmpdir(), "bmi-bench-bulk-"));
  let ceph: CephCluster | undefined;
  let s: BenchStack | undefined;
  // An interrupted bench still stops every process it started and removes its keys and files.
  const profiles = values.profile ? path.resolve(".run", "profiles", `bulk-${new Date().toISOString().replace(/[:.]/g, "-")}`) : undefined;
  const cleanup = async () => {
    await s?.stop();
    if (profiles) await listProfiles(profiles);
    await ceph?.stop().catch((err: Error) => console.error(`ceph-down: ${err.message}`));
    await rm(dir, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    // Several target hosts: the lab stack starts a Ceph its namespaces reach.
    if (values.driver === "ceph" && hosts === 1) ceph = await startCeph(path.join(dir, "ceph"), 27100 + (process.pid % 50) * 100);
    const nodeOptions = process.env.NODE_OPTIONS;
    if (profiles) {
      await mkdir(profiles, { recursive: true });
      // The services are started with this process's environment: each profiles itself until it exits.
      process.env.NODE_OPTIONS = `${nodeOptions ?? ""} --require ${path.join(__dirname, "cpu-profile-hook.js")}`.trim();
      process.env.BMI_BENCH_PROFILE_DIR = profiles;
    }
    const orchEnv = { BMI_ORCH_MAX_JOBS: String(Math.max(parallel, 64)), BMI_ORCH_BULK_PARALLEL: String(parallel),
      BMI_ORCH_BATCH_IN_FLIGHT: String(batch), ...(values.limits ? { BMI_ORCH_LIMITS: values.limits } : {}) };
    s = hosts > 1 ? await startHostsStack(hosts, orchEnv)
      : { ...await startStack({ tag: "bench-bulk", ...(ceph ? { imageEnv: ceph.imageEnv } : {}), orchEnv, metrics: true }), natsUrl: "nats://127.0.0.1:4222" };
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
    delete process.env.BMI_BENCH_PROFILE_DIR;
    // With --profile, each service writes a profile per window (cpu-profile-hook.ts): <service>-<pid>-<window>.
    const mark = (window: string) => {
      if (!profiles || !s) return;
      writeFileSync(path.join(profiles, "window"), window);
      for (const p of s.processes) {
        try {
          process.kill(p.pid, "SIGUSR2");
        } catch { /* gone */ }
      }
    };
    const nodes = Array.from({ length: n }, (_, i) => `b${String(i + 1).padStart(5, "0")}`);
    await s.registerNodes(nodes);
    await upload(s, "golden", 4);
    console.log(`bulk provisioning: ${n} nodes, ${values.driver} driver, max_parallel ${parallel}${hosts > 1 ? `, ${hosts} target hosts` : ""}`);
    // --floor-first: the floor runs first (its services cold: storage daemons started, code not yet optimised).
    const floorRun = async () => {
      const c0 = await rpcCounts(s!);
      const f = await runFloor(s!, PROJECT, nodes, "golden", parallel, IQN_PREFIX, batch, (phase) => mark(`floor-${phase}`));
      return { ...f, rpc: [c0, await rpcCounts(s!)] as const };
    };
    // Whichever runs first pays for starting the storage daemons and for code not yet optimised: unless --cold, a
    // warm-up floor of every node goes before both, unmeasured, so that both measured runs find the services warm.
    if (!values.cold) {
      const t = performance.now();
      mark("warm-up");
      const w = await runFloor(s, PROJECT, nodes, "golden", parallel, IQN_PREFIX, batch);
      console.log(`  warm-up (not counted): the floor once, ${secs(performance.now() - t)} s${w.failed ? `, ${w.failed} nodes failed` : ""}`);
    }
    const early = values["floor-first"] ? await floorRun() : undefined;
    const before = cpu(s);
    const all0 = cpuByProcess();
    const calls0 = await rpcCounts(s);
    let perHost: string[] = [];
    const orch = await orchestrated(s, nodes, parallel, dir, () => { perHost = hostFigures(s?.targetHosts ?? []); }, mark,
      values["release-per-node"]);
    // The two windows only: the bench's own read-outs between and after them (ListJobs of every job) are not counted.
    const used = (k: string) => (orch.cpuAfterProvision.get(k) ?? 0) - (before.get(k) ?? 0)
      + (orch.cpuAfterDeprovision.get(k) ?? 0) - (orch.cpuBeforeDeprovision.get(k) ?? 0);
    console.log(`    cpu         ${[...orch.cpuAfterDeprovision.keys()].map((k) => `${k} ${used(k).toFixed(1)}`).join("  ")} (s, provision + deprovision)`);
    const orchMs = (from: Map<string, number>, to: Map<string, number>) => ((to.get("orchestrator") ?? 0) - (from.get("orchestrator") ?? 0)) * 1000 / n;
    console.log(`    orchestrator cpu per node: provision ${orchMs(before, orch.cpuAfterProvision).toFixed(1)} ms, deprovision ${orchMs(orch.cpuBeforeDeprovision, orch.cpuAfterDeprovision).toFixed(1)} ms`);
    const calls1 = await rpcCounts(s);
    const floor = early ?? await floorRun();
    console.log(`  floor: the same calls in a plain loop, ${parallel} in flight, ${batch ? `batched past ${batch} in flight as the orchestrator does` : "no batching"}`);
    console.log(`    provision   ${secs(floor.provisionMs)} s = ${(n / (floor.provisionMs / 1000)).toFixed(1)} nodes/s   ${latency(floor.perNode)}`);
    console.log(`    calls       ${callTimes(floor.calls)}`);
    console.log(`    deprovision ${secs(floor.deprovisionMs)} s = ${(n / (floor.deprovisionMs / 1000)).toFixed(1)} nodes/s   ${latency(floor.deprovisionPerNode)}`);
    console.log(`    calls       ${callTimes(floor.deprovisionCalls)}`);
    if (floor.failed > 0) console.log(`    ${floor.failed} nodes failed in the floor`);
    if (calls0.size > 0) {
      // Calls served per node (provision + deprovision), by method: how well the calls were batched.
      console.log("  calls served per 100 nodes (orchestrated / floor):");
      const per = (a: Map<string, number>, b: Map<string, number>) => [...b.keys()]
        .map((k) => [k, ((b.get(k) ?? 0) - (a.get(k) ?? 0)) * 100 / n] as const).filter(([, v]) => v >= 0.5).sort((x, y) => y[1] - x[1]);
      console.log(`    ${per(calls0, calls1).map(([k, v]) => `${k} ${v.toFixed(0)}`).join("  ")}`);
      console.log(`    ${per(...floor.rpc).map(([k, v]) => `${k} ${v.toFixed(0)}`).join("  ")}`);
    }
    // Every process's CPU in each window (s): where the orchestrated run's extra time goes on a busy machine.
    console.log("  cpu of every process, s (orchestrated / floor):");
    console.log(`    provision   ${cpuWindow(all0, orch.allAfterProvision)}`);
    console.log(`                ${cpuWindow(...floor.cpu.provision)}`);
    console.log(`    deprovision ${cpuWindow(orch.allBeforeDeprovision, orch.allAfterDeprovision)}`);
    console.log(`                ${cpuWindow(...floor.cpu.deprovision)}`);
    console.log(`  orchestrated / floor: provision ${(orch.provisionMs / floor.provisionMs).toFixed(2)}x, deprovision ${(orch.deprovisionMs / floor.deprovisionMs).toFixed(2)}x`);
    // The issue's aim: 1,000 nodes provisioned and deprovisioned in under 30 s, within 1.5x of the floor.
    const total = orch.provisionMs + orch.deprovisionMs;
    const floorTotal = floor.provisionMs + floor.deprovisionMs;
    if (perHost.length > 0) console.log(`  target hosts, with the ${n} targets in place:\n${perHost.map((l) => `    ${l}`).join("\n")}`);
    console.log(`  total: orchestrated ${secs(total)} s = ${(n / (total / 1000)).toFixed(1)} nodes/s, floor ${secs(floorTotal)} s = ${(n / (floorTotal / 1000)).toFixed(1)} nodes/s, ${(total / floorTotal).toFixed(2)}x`);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await cleanup();
  }
}

/** Calls served so far by every service with a metrics endpoint, by method (bmi_rpc_server_seconds_count). */
async function rpcCounts(s: BenchStack): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const urls = (s as BenchStack & { metrics?: Record<string, string> }).metrics ?? {};
  for (const url of Object.values(urls)) {
    const text = await (await fetch(url)).text().catch(() => "");
    for (const m of text.matchAll(/^bmi_rpc_server_seconds_count\{[^}]*method="\/[^/"]*\/([A-Za-z]+)"[^}]*\} (\d+)/gm)) {
      out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
    }
  }
  return out;
}

async function listProfiles(dir: string): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".cpuprofile")).sort();
  console.log(`  cpu profiles: ${dir} (${files.join(", ") || "none written"})`);
}

export async function orchestrated(s: BenchStack, nodes: string[], parallel: number, dir: string, inPlace?: () => void,
  mark: (window: string) => void = () => undefined, perNodeRelease = false):
  Promise<{ provisionMs: number; deprovisionMs: number; cpuAfterProvision: Map<string, number>; cpuBeforeDeprovision: Map<string, number>;
    cpuAfterDeprovision: Map<string, number>; allAfterProvision: Map<string, number>; allBeforeDeprovision: Map<string, number>;
    allAfterDeprovision: Map<string, number> }> {
  mark("orch-provision");
  const t0 = performance.now();
  const { job } = await s.orch.bulkProvision({ project: PROJECT, specs: { specs: nodes.map((node) => ({ node, image: "golden", disk: "", nic: "", network: "" })) },
    maxParallel: parallel, minSuccess: 1, allOrNothing: false, options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
  // Following the job's events (one blocking read on the server) rather than polling keeps the bench's own load
  // on the orchestrator out of the figures.
  await watchToEnd(s, job!.id);
  const done = (await s.orch.getJob({ id: job!.id })).job!;
  const provisionMs = performance.now() - t0;
  const cpuAfterProvision = cpu(s);
  const allAfterProvision = cpuByProcess();
  mark("between");
  inPlace?.();
  const { jobs } = await s.orch.listJobs({ project: PROJECT, state: JobState.JOB_STATE_UNSPECIFIED, limit: nodes.length + 10, includeChildren: true });
  const children = jobs.filter((j) => j.parentId === done.id);
  console.log(`  orchestrated (${JobState[done.state]}: ${done.succeeded} ok, ${done.failed} failed)`);
  const errors = new Set(children.filter((c) => c.error).map((c) => c.error));
  for (const e of [...errors].slice(0, 3)) console.log(`    error: ${e}`);
  if (done.state !== JobState.JOB_STATE_SUCCEEDED) throw new Error(`the bulk job ended ${JobState[done.state]}: ${done.error}`);
  console.log(`    provision   ${secs(provisionMs)} s = ${(nodes.length / (provisionMs / 1000)).toFixed(1)} nodes/s   ${latency(children.map(nodeMs))}`);
  console.log(`    steps       ${stepTimes(children)}`);
  await checkSample(s, children, dir);
  const provisioned = (await s.orch.listProvisioned({ project: PROJECT })).nodes.map((p) => p.node);
  const gone = perNodeRelease ? await nodeEvents(s, provisioned, ["NODE_STATE_DEPROVISIONED", "NODE_STATE_FAILED"]) : undefined;
  const cpuBeforeDeprovision = cpu(s);
  const allBeforeDeprovision = cpuByProcess();
  mark("orch-deprovision");
  const t1 = performance.now();
  let dproJobs: () => Promise<Job[]>;
  if (perNodeRelease) {
    // As a script releasing nodes one by one would: a DeprovisionNode call (and a job) per node.
    const ids: string[] = [];
    await inParallel(provisioned, parallel, async (node) => {
      const res = await s.orch.deprovisionNode({ project: PROJECT, node, deleteDisk: true, releaseNode: true, idempotencyKey: "" });
      ids.push(res.job!.id);
    });
    const failed = (await gone!.done).filter(([, st]) => st === "NODE_STATE_FAILED").length;
    if (failed > 0) console.log(`    deprovision failed on ${failed} nodes`);
    dproJobs = async () => (await s.orch.listJobs({ project: PROJECT, state: JobState.JOB_STATE_UNSPECIFIED, limit: ids.length, includeChildren: false })).jobs;
  } else {
    // As an operator releases a project's nodes: one BulkDeprovision job, one child per node.
    const { job: bulk } = await s.orch.bulkDeprovision({ project: PROJECT, nodes: provisioned, all: false, deleteDisk: true, releaseNode: true,
      maxParallel: parallel, idempotencyKey: "" });
    await watchToEnd(s, bulk!.id);
    const end = (await s.orch.getJob({ id: bulk!.id })).job!;
    if (end.state !== JobState.JOB_STATE_SUCCEEDED) console.log(`    bulk deprovision ended ${JobState[end.state]}: ${end.error}`);
    dproJobs = async () => (await s.orch.listJobs({ project: PROJECT, state: JobState.JOB_STATE_UNSPECIFIED, limit: provisioned.length + 10,
      includeChildren: true })).jobs.filter((j) => j.parentId === bulk!.id);
  }
  const deprovisionMs = performance.now() - t1;
  // Read before the ListJobs below: the bench's own read-out of 1,000 jobs is not the deprovision's cost.
  const cpuAfterDeprovision = cpu(s);
  const allAfterDeprovision = cpuByProcess();
  mark("after");
  const dpro = await dproJobs();
  console.log(`    deprovision ${secs(deprovisionMs)} s = ${(nodes.length / (deprovisionMs / 1000)).toFixed(1)} nodes/s   ${latency(dpro.map(nodeMs))}${perNodeRelease ? "  (a DeprovisionNode per node)" : "  (one BulkDeprovision)"}`);
  console.log(`    steps       ${stepTimes(dpro)}`);
  return { provisionMs, deprovisionMs, cpuAfterProvision, cpuBeforeDeprovision, cpuAfterDeprovision, allAfterProvision, allBeforeDeprovision,
    allAfterDeprovision };
}

/** The stack's boot-service HTTP address, where the stack has one (the local one). */
type WithBootHttp = BenchStack & { bootHttp?: string };

/**
 * Nothing is faster by skipping work: 8 provisioned nodes, spread over the run, are checked (not timed) as a node
 * would use them: its boot script is served and names its target, and its disk is read through that target with
 * its CHAP secret (the image's first bytes). Any miss is printed and makes the bench exit 1.
 */
async function checkSample(s: WithBootHttp, children: Job[], dir: string): Promise<void> {
  const sample = Array.from({ length: Math.min(8, children.length) }, (_, i) => children[Math.floor(i * children.length / Math.min(8, children.length))]!);
  const misses: string[] = [];
  for (const c of sample) {
    const out = (step: string) => c.steps.find((x) => x.name === step)?.outputs ?? {};
    const node = c.node;
    try {
      // Several target hosts: the host that exports the disk knows its target.
      let target: GetTargetResponse["target"];
      for (const client of s.targetHosts?.map((h) => h.target) ?? [s.target]) {
        target = (await client.getTarget({ project: PROJECT, disk: out("disk").disk ?? "" }).catch(() => ({ target: undefined }))).target;
        if (target) break;
      }
      if (!target?.target || !target.chap?.secret) throw new Error("no target with CHAP");
      if (s.bootHttp) {
        // As iPXE asks for it: the MAC with dashes.
        const res = await fetch(`${s.bootHttp}/nodes/${(out("check_node").mac ?? "").replace(/:/g, "-")}.ipxe`);
        const script = await res.text();
        if (!res.ok || !script.includes(target.target.iqn)) throw new Error(`script ${res.status} does not name ${target.target.iqn}`);
      }
      const head = await iscsiReadHead({ portal: target.target.portals[0] ?? "", iqn: target.target.iqn, initiator: target.initiatorIqn,
        chap: { user: target.chap.user, secret: target.chap.secret } }, path.join(dir, `sample-${node}.raw`), 64);
      await rm(path.join(dir, `sample-${node}.raw`), { force: true });
      if (!head.toString("latin1").startsWith("BMI-BENCH-IMAGE")) throw new Error("the disk read through its target is not the image's");
    } catch (err) {
      misses.push(`${node}: ${(err as Error).message}`);
    }
  }
  console.log(`    checked     ${sample.length - misses.length} of ${sample.length} sampled nodes: ${s.bootHttp ? "script served naming its target, " : ""}disk read through its target with CHAP`);
  for (const m of misses) console.log(`    sample miss ${m}`);
  if (misses.length > 0) process.exitCode = 1;
}

export async function watchToEnd(s: Pick<BenchStack, "orch">, id: string): Promise<void> {
  const call = s.orch.raw.watchJob(WatchJobRequest.fromPartial({ id, fromStart: true }), s.orch.metadata(), s.orch.callOptions({ deadlineMs: 3600_000 }));
  for await (const res of call as AsyncIterable<WatchJobResponse>) if (res.event?.finished) break;
  call.cancel();
}

/** Subscribes now; `done` resolves once every node has reported one of `states` on NATS (bmi.node.<node>.state). */
async function nodeEvents(s: BenchStack, nodes: string[], states: string[]): Promise<{ done: Promise<Array<[string, string]>> }> {
  const bus = new EventBus({ servers: [s.natsUrl], redis: s.redis, outboxKey: `${s.prefix}bench-outbox`, log: silentLogger() });
  bus.start();
  const nc = await bus.ready();
  const waiting = new Set(nodes);
  const seen: Array<[string, string]> = [];
  const sub = nc.subscribe(ALL_NODE_STATES);
  const done = (async () => {
    for await (const m of sub) {
      if (waiting.size === 0) break;
      const ev = NodeEvent.decode(m.data);
      if (states.includes(ev.state) && waiting.delete(ev.node)) seen.push([ev.node, ev.state]);
      if (waiting.size === 0) break;
    }
    await bus.close();
    return seen;
  })();
  await nc.flush();
  return { done };
}

/** CPU seconds used so far by each service of the stack. */
function cpu(s: Pick<BenchStack, "processes">): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of s.processes) out.set(p.name, (out.get(p.name) ?? 0) + cpuSeconds(p.pid));
  return out;
}

/** A node's own time: its first step started to its last step finished (the bulk queue before it not counted). */
function nodeMs(j: Job): number {
  const started = j.steps.map((s) => s.started?.getTime() ?? Infinity);
  const finished = j.steps.map((s) => s.finished?.getTime() ?? 0);
  return Math.max(...finished) - Math.min(...started);
}

function latency(ms: number[]): string {
  return `per node p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms`;
}

function callTimes(calls: Record<string, number[]>): string {
  return Object.entries(calls).map(([k, v]) => `${k} ${percentile(v, 50).toFixed(0)}/${mean(v).toFixed(0)}`).join("  ") + " (p50/mean ms)";
}

function stepTimes(children: Job[]): string {
  const by = new Map<string, number[]>();
  for (const c of children) for (const st of c.steps) {
    if (st.started && st.finished) by.set(st.name, [...(by.get(st.name) ?? []), st.finished.getTime() - st.started.getTime()]);
  }
  return [...by].map(([k, v]) => `${k} ${percentile(v, 50).toFixed(0)}/${mean(v).toFixed(0)}`).join("  ") + " (p50/mean ms)";
}

/** Uploads a small raw image (first sector recognisable) through the client stream, for either driver. */
export async function upload(s: Pick<BenchStack, "image">, name: string, sizeMiB: number): Promise<void> {
  const data = Buffer.alloc(sizeMiB << 20);
  data.write("BMI-BENCH-IMAGE", 0);
  const checksum = createHash("sha256").update(data).digest("hex");
  await new Promise<UploadImageResponse>((resolve, reject) => {
    const call = s.image.raw.uploadImage(s.image.metadata(), s.image.callOptions({ deadlineMs: 120_000 }), (err, res) => (err ? reject(err) : resolve(res)));
    call.write({ header: { project: PROJECT, name, format: ImageFormat.IMAGE_FORMAT_RAW, sizeBytes: data.length, checksum, public: false } });
    for (let off = 0; off < data.length; off += 1 << 20) call.write({ chunk: data.subarray(off, off + (1 << 20)) });
    call.end();
  });
}
