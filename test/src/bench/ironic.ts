import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { REPO_ROOT } from "@bmi/testing";
import { startStack } from "../support/stack";
import { orchestrated, upload } from "./bulk";
import type { BenchStack } from "./bulk-hosts";
import { cpuSeconds, inParallel, percentile, secs } from "./stats";

const exec = promisify(execFile);
const IRONIC = "/usr/bin/ironic";
/** The same package's separate API and conductor, for `--ironic-procs split`. */
const SPLIT = ["/usr/bin/ironic-conductor", "/usr/bin/ironic-api"];
const DBSYNC = "/usr/bin/ironic-dbsync";
/** Debian's package of the all-in-one `ironic` command (API and conductor in one process); it ships no service. */
const PACKAGE = "ironic-common";

/**
 * `npm run bench -- ironic [--nodes N] [--parallel P] [--poll-ms MS] [--only ironic|bmi]`: the peer a MOC operator
 * would pick instead, side by side with BMI on the same machine in the same run (issue 16).
 *
 * First OpenStack Ironic, standalone (noauth, sqlite, no Nova/Neutron/Glance/Keystone), tuned (deploy/ironic/ironic.conf
 * says what each setting is for), as Debian's all-in-one `ironic` process (API and conductor, no RPC between them) on
 * a free port, with fake hardware that does nothing (`fake-hardware`, every interface fake or noop): it enrolls N
 * nodes, manages and provides them (not timed), then deploys all N (PATCH instance_info with a fake image_source,
 * provision state `active`; P requests in flight, as BMI's bulk has P nodes in flight) and polls the node list
 * until every node is `active` (timed), then undeploys them (`deleted`, back to `available`; timed). Then BMI's own
 * bulk of N nodes with the local driver, exactly as `npm run bench -- bulk --driver local` runs it (the same
 * function: every node its own copy-on-write disk, CHAP target and boot script, a sample checked), and both
 * figures with their ratio. Installs ironic-common from Debian's archive if /usr/bin/ironic is absent. Everything
 * it starts is stopped and its temp dir removed, also on failure or SIGINT.
 */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    nodes: { type: "string", default: "500" }, parallel: { type: "string", default: "64" },
    "poll-ms": { type: "string", default: "100" }, only: { type: "string", default: "" }, watch: { type: "string", default: "db" },
    "ironic-procs": { type: "string", default: "one" },
  } });
  const procs = values["ironic-procs"] as "one" | "split";
  if (procs !== "one" && procs !== "split") throw new Error(`--ironic-procs ${values["ironic-procs"]}: one or split`);
  const watch = values.watch as "db" | "api";
  if (watch !== "db" && watch !== "api") throw new Error(`--watch ${values.watch}: db or api`);
  const n = Number(values.nodes);
  const parallel = Number(values.parallel);
  const pollMs = Number(values["poll-ms"]);
  if (!(n >= 1) || !(parallel >= 1) || !(pollMs >= 10)) throw new Error("--nodes, --parallel: 1 or more; --poll-ms: 10 or more");
  if (!["", "ironic", "bmi"].includes(values.only ?? "")) throw new Error(`--only ${values.only}: ironic or bmi`);
  const nodes = Array.from({ length: n }, (_, i) => `b${String(i + 1).padStart(5, "0")}`);
  const dir = await mkdtemp(path.join(tmpdir(), "bmi-bench-ironic-"));
  let ironic: Ironic | undefined;
  let s: BenchStack | undefined;
  const cleanup = async () => {
    await ironic?.stop();
    ironic = undefined;
    await s?.stop();
    s = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let ir: IronicFigures | undefined;
    if (values.only !== "bmi") {
      await ensureIronic();
      ironic = await startIronic(path.join(dir, "ironic"), n, watch, procs);
      console.log(`ironic ${ironic.version} (Debian ${PACKAGE}), ${procs === "one" ? "all-in-one process" : "ironic-conductor + ironic-api (2 workers) over json-rpc,"} ` +
        `pid ${ironic.pids.join(" ")} on :${ironic.port}, ` +
        `fake-hardware, sqlite, noauth; ${n} nodes, ${parallel} requests in flight, states polled every ${pollMs} ms ` +
        `${watch === "db" ? "in its database" : "through its API"}; load ${load()}`);
      ir = await ironicRun(ironic, nodes, parallel, pollMs);
      await ironic.stop();
      ironic = undefined;
    }
    let bmi: { provisionMs: number; deprovisionMs: number } | undefined;
    if (values.only !== "ironic") {
      // As `bench -- bulk --driver local --parallel P` starts its stack: default limits.
      s = { ...await startStack({ tag: "bench-ironic", orchEnv: { BMI_ORCH_MAX_JOBS: String(Math.max(parallel, 64)), BMI_ORCH_BULK_PARALLEL: String(parallel) } }),
        natsUrl: "nats://127.0.0.1:4222" };
      await s.registerNodes(nodes);
      await upload(s, "golden", 4);
      console.log(`bmi bulk provisioning: ${n} nodes, local driver, max_parallel ${parallel}; load ${load()}`);
      const bmiDir = path.join(dir, "bmi");
      await mkdir(bmiDir);
      bmi = await orchestrated(s, nodes, parallel, bmiDir);
      await s.stop();
      s = undefined;
      console.log(`  load after ${load()}`);
    }
    if (ir && bmi) {
      const rate = (ms: number) => n / (ms / 1000);
      console.log(`side by side, ${n} nodes, ${parallel} in flight:`);
      console.log(`  provision    ironic ${secs(ir.deployMs)} s = ${rate(ir.deployMs).toFixed(1)} nodes/s   bmi ${secs(bmi.provisionMs)} s = ` +
        `${rate(bmi.provisionMs).toFixed(1)} nodes/s   bmi/ironic ${(ir.deployMs / bmi.provisionMs).toFixed(2)}x`);
      console.log(`  deprovision  ironic ${secs(ir.undeployMs)} s = ${rate(ir.undeployMs).toFixed(1)} nodes/s   bmi ${secs(bmi.deprovisionMs)} s = ` +
        `${rate(bmi.deprovisionMs).toFixed(1)} nodes/s   bmi/ironic ${(ir.undeployMs / bmi.deprovisionMs).toFixed(2)}x`);
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await cleanup();
  }
}

interface IronicFigures { deployMs: number; undeployMs: number }

/** Enroll, manage, provide (set-up, printed), then deploy and undeploy (the figures). */
async function ironicRun(ironic: Ironic, nodes: string[], parallel: number, pollMs: number): Promise<IronicFigures> {
  const n = nodes.length;
  const phase = async (name: string, target: string, fail: string[], act: (node: string) => Promise<void>) => {
    const cpu0 = ironic.cpu();
    const sent = new Map<string, number>();
    const t0 = performance.now();
    // Together: a node failing ends the phase at once, and neither promise is left without a handler.
    const [, seen] = await Promise.all([
      inParallel(nodes, parallel, async (node) => { sent.set(node, performance.now()); await act(node); }),
      ironic.waitAll(n, target, fail, pollMs),
    ]);
    const ms = performance.now() - t0;
    // A node's own time: its first request sent to the first poll that saw it in the target state.
    const per = nodes.map((node) => (seen.get(node) ?? NaN) - (sent.get(node) ?? NaN));
    console.log(`  ${name.padEnd(11)} ${secs(ms)} s = ${(n / (ms / 1000)).toFixed(1)} nodes/s   per node p50 ${percentile(per, 50).toFixed(0)} ms, ` +
      `p95 ${percentile(per, 95).toFixed(0)} ms, p99 ${percentile(per, 99).toFixed(0)} ms   ironic cpu ${(ironic.cpu() - cpu0).toFixed(1)} s`);
    return ms;
  };
  await phase("enroll", "enroll", [], async (node) => { await ironic.api("POST", "/v1/nodes", { name: node, driver: "fake-hardware" }); });
  await phase("manage", "manageable", ["enroll"], async (node) => { await ironic.provision(node, "manage"); });
  await phase("provide", "available", ["clean failed"], async (node) => { await ironic.provision(node, "provide"); });
  console.log(`  (set-up above, figures below; load ${load()})`);
  const deployMs = await phase("deploy", "active", ["deploy failed", "error"], async (node) => {
    await ironic.api("PATCH", `/v1/nodes/${node}`, [{ op: "add", path: "/instance_info/image_source", value: "http://127.0.0.1/bench-fake.img" }]);
    await ironic.provision(node, "active");
  });
  const undeployMs = await phase("undeploy", "available", ["error", "clean failed"], async (node) => { await ironic.provision(node, "deleted"); });
  console.log(`  load after ${load()}`);
  return { deployMs, undeployMs };
}

interface Ironic {
  pids: number[];
  /** CPU seconds used so far by Ironic's processes and their children (the API's workers). */
  cpu(): number;
  port: number;
  version: string;
  api(method: string, route: string, body?: unknown): Promise<unknown>;
  provision(node: string, target: string): Promise<void>;
  /** Resolves once every one of `n` nodes is in `state` (when each was first seen so); rejects if one is in a `fail` state. */
  waitAll(n: number, state: string, fail: string[], pollMs: number): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Installs Debian's ironic-common (the all-in-one `ironic` and `ironic-dbsync`) where /usr/bin/ironic is absent. */
async function ensureIronic(): Promise<void> {
  if (!existsSync(IRONIC) || !existsSync(DBSYNC)) {
    console.log(`installing ${PACKAGE} from Debian's archive (apt-get)`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () => exec("apt-get", ["install", "-y", "--no-install-recommends", PACKAGE], { env, maxBuffer: 64 << 20 });
    await install().catch(async () => {
      await exec("apt-get", ["update"], { env, maxBuffer: 64 << 20 });
      await install();
    });
  }
  // ironic-common ships no service; ironic-api and ironic-conductor (not needed here) would start system-wide
  // daemons if someone installed them: such daemons are stopped and disabled, so that only the bench's runs.
  for (const unit of ["ironic-api", "ironic-conductor"]) {
    const active = await exec("systemctl", ["is-active", unit]).then(() => true, () => false);
    if (active) {
      console.log(`stopping and disabling the system-wide ${unit} service the package started`);
      await exec("systemctl", ["disable", "--now", unit]);
    }
  }
}

/**
 * A private Ironic under `dir`: the config of deploy/ironic/ironic.conf (with `split`, ironic-split.conf after it), a
 * fresh sqlite schema, one process (or a conductor and an API), each the leader of its own process group.
 */
async function startIronic(dir: string, nodes: number, watch: "db" | "api", procs: "one" | "split"): Promise<Ironic> {
  await mkdir(path.join(dir, "locks"), { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, "ironic.conf");
  const template = await readFile(path.join(REPO_ROOT, "deploy", "ironic", "ironic.conf"), "utf8");
  await writeFile(conf, template.replace(/@DIR@/g, dir).replace(/@PORT@/g, String(port)).replace(/@NODES@/g, String(Math.max(nodes, 1000))));
  const confArgs = ["--config-file", conf];
  if (procs === "split") {
    const split = path.join(dir, "ironic-split.conf");
    const rpcPort = await freePort();
    await writeFile(split, (await readFile(path.join(REPO_ROOT, "deploy", "ironic", "ironic-split.conf"), "utf8")).replace(/@RPC_PORT@/g, String(rpcPort)));
    confArgs.push("--config-file", split);
  }
  await exec(DBSYNC, [...confArgs, "create_schema"], { maxBuffer: 16 << 20 });
  // Write-ahead log: readers (the API's GETs) and the conductor's writes do not wait for each other's file locks.
  await exec("/usr/bin/python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL'); c.close()",
    path.join(dir, "ironic.sqlite")]);
  const version = (await exec("dpkg-query", ["-W", "-f", "${Version}", "python3-ironic"]).catch(() => ({ stdout: "?" }))).stdout.trim();
  const out = await open(path.join(dir, "ironic.out"), "w");
  // Own process groups: a signal to the group reaches the API's forked workers too.
  const children: ChildProcess[] = (procs === "one" ? [IRONIC] : SPLIT).map((cmd) => spawn(cmd, confArgs, { stdio: ["ignore", out.fd, out.fd], detached: true }));
  await out.close();
  const signal = (sig: NodeJS.Signals) => { for (const c of children) if (c.exitCode === null && c.signalCode === null) { try { process.kill(-c.pid!, sig); } catch { /* gone */ } } };
  // Should this process die without its cleanup, the Ironic it started dies with it.
  const killOnExit = () => signal("SIGKILL");
  process.once("exit", killOnExit);
  let exited = false;
  const gone = Promise.all(children.map((c) => new Promise<void>((resolve) => c.once("exit", () => { exited = true; resolve(); }))));
  const base = `http://127.0.0.1:${port}`;
  const headers = { "X-OpenStack-Ironic-API-Version": "latest", "Content-Type": "application/json" };
  const api = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(base + route, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`ironic ${method} ${route}: ${res.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 8000);
    await gone;
    clearTimeout(timer);
    // What is left in the groups (an API worker whose parent went first).
    for (const c of children) { try { process.kill(-c.pid!, "SIGKILL"); } catch { /* none left */ } }
  };
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (exited) {
        const tail = async (f: string) => (await readFile(path.join(dir, f), "utf8").catch(() => "")).slice(-2000);
        throw new Error(`ironic exited at start: ${await tail("ironic.out")}${await tail("ironic.log")}`);
      }
      const ok = await api("GET", "/v1/drivers").then((d) => JSON.stringify(d).includes("fake-hardware"), () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error("ironic did not answer on its port within 120 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  type Row = { name: string; provision_state: string; last_error: string | null };
  const apiList = async (n: number) =>
    (await api("GET", `/v1/nodes?fields=name,provision_state,last_error&limit=${Math.max(n, 1000)}`) as { nodes: Row[] }).nodes;
  // The same rows read from the database file by the sqlite3 CLI (WAL: a reader never blocks Ironic's writes).
  const dbList = async () => {
    const { stdout } = await exec("sqlite3", ["-readonly", "-json", "-cmd", ".timeout 5000", path.join(dir, "ironic.sqlite"),
      "SELECT name, provision_state, last_error FROM nodes"], { maxBuffer: 64 << 20 });
    return (stdout.trim() ? JSON.parse(stdout) : []) as Row[];
  };
  const listNodes = watch === "db" ? dbList : apiList;
  return {
    pids: children.map((c) => c.pid!), port, version, api, stop,
    cpu: () => children.reduce((sum, c) => sum + treeCpu(c.pid!), 0),
    provision: async (node, target) => { await api("PUT", `/v1/nodes/${node}/states/provision`, { target }); },
    waitAll: async (n, state, fail, pollMs) => {
      const seen = new Map<string, number>();
      for (;;) {
        const list = await listNodes(n);
        const now = performance.now();
        for (const node of list) {
          if (node.provision_state === state && !seen.has(node.name)) seen.set(node.name, now);
          if (fail.includes(node.provision_state) && node.last_error) throw new Error(`ironic: node ${node.name} ${node.provision_state}: ${node.last_error}`);
        }
        if (list.length >= n && list.every((node) => node.provision_state === state)) {
          // Watched in the database: the API must say the same (one list, after the clock has stopped).
          if (watch === "db") {
            const viaApi = await apiList(n);
            const off = viaApi.filter((node) => node.provision_state !== state);
            if (viaApi.length < n || off.length > 0) throw new Error(`ironic's database says ${state}, its API does not for ${off.length} nodes`);
          }
          return seen;
        }
        if (exited) throw new Error("ironic exited");
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => { srv.once("error", reject); srv.listen(0, "127.0.0.1", resolve); });
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** CPU seconds of a process and, recursively, of its children alive now. */
function treeCpu(pid: number): number {
  let kids: string[] = [];
  try { kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean); } catch { /* gone */ }
  return cpuSeconds(pid) + kids.reduce((sum, k) => sum + treeCpu(Number(k)), 0);
}

function load(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}
