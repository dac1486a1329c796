import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import path from "node:path";
import { eachLimit } from "@bmi/async";
import { EventBus } from "@bmi/events";
import { silentLogger } from "@bmi/log";
import type { Redis } from "@bmi/redis";
import { NodeFilter } from "@bmi/proto/bmi/haas/v1/haas";
import type { TestTgtd } from "@bmi/testing";
import type { Stack } from "../support/stack";

const run = promisify(execFile);

/** One target as tgtd itself lists it (`tgtadm --mode target --op show`). */
export interface TgtdTarget { tid: number; iqn: string; backing: string[]; accounts: string[]; sessions: number }

/** Every target tgtd serves but target-service's store marker (a target with no LUN, named ...:bmi-store:<id>). */
export async function tgtdTargets(tgtd: Pick<TestTgtd, "controlPort">): Promise<TgtdTarget[]> {
  // A thousand targets list to megabytes: past execFile's default buffer.
  const { stdout: text } = await run("tgtadm", ["-C", String(tgtd.controlPort), "--lld", "iscsi", "--mode", "target", "--op", "show"],
    { maxBuffer: 1 << 28 });
  const out: TgtdTarget[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    const head = /^Target (\d+): (\S+)/.exec(line);
    if (head) {
      out.push({ tid: Number(head[1]), iqn: head[2]!, backing: [], accounts: [], sessions: 0 });
      continue;
    }
    const t = out[out.length - 1];
    if (!t) continue;
    const sec = /^ {4}(\S.*):$/.exec(line);
    if (sec) { section = sec[1]!; continue; }
    const store = /Backing store path: (\/\S+)/.exec(line);
    if (store) t.backing.push(store[1]!);
    if (section === "I_T nexus information" && /^ {8}I_T nexus: \d+/.test(line)) t.sessions++;
    if (section === "Account information" && /^ {8}\S/.test(line)) t.accounts.push(line.trim());
  }
  return out.filter((t) => !t.iqn.includes(":bmi-store:"));
}

/** What the audit found: the counts, read from the back ends, and every broken invariant in words. */
export interface AuditReport {
  jobs: number;
  provisioned: number;
  disks: number;
  targets: number;
  scripts: number;
  exports: number;
  allocated?: number;
  events?: number;
  problems: string[];
}

export interface AuditInput {
  project: string;
  /** The local driver's data directory (disks/ID.json + ID.qcow2, exports/ID.raw). */
  dataDir: string;
  /** NATS of the stack, to count the events of every job of its Redis prefix in the BMI_EVENTS stream. */
  natsUrl?: string;
  /** Nodes HIL holds for the project (the simulator's state), when the stack runs on HIL. */
  allocated?: () => string[];
}

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "PARTIAL"]);
const SETTLED = new Set(["READY", "BOOTING", "BOOTED"]);

/**
 * Checks the invariants of a run against what the back ends hold, not against BMI's answers: Redis' job and
 * provisioned-node records, tgtd's own listing, the disk files and FUSE exports, the boot scripts as a node fetches
 * them over HTTP, HIL's allocations and the JetStream events. Every job terminal; provisioned nodes = disks =
 * targets = scripts, node by node; no node with two disks or targets; nothing no record names; every event once.
 */
export async function audit(s: Stack, a: AuditInput): Promise<AuditReport> {
  const problems: string[] = [];
  const P = `${s.prefix}orch:`;
  // Redis: jobs and provisioned records.
  const jobKeys = (await scanKeys(s, `${P}job:*`)).filter((k) => !k.slice(P.length + 4).includes(":"));
  const jobs = new Map<string, { state: string; seq: number }>();
  for (const k of jobKeys) {
    const [state, seq] = await s.redis.hmget(k, "state", "seq");
    jobs.set(k.slice(P.length + 4), { state: state ?? "", seq: Number(seq ?? 0) });
    if (!TERMINAL.has(state ?? "")) problems.push(`job ${k.slice(P.length + 4)} is ${state}, not ended`);
  }
  const prov = new Map<string, { disk: string; state: string }>();
  for (const k of await scanKeys(s, `${P}prov:*`)) {
    const h = await s.redis.hgetall(k);
    if (h.project !== a.project) continue;
    prov.set(h.node ?? "", { disk: h.disk ?? "", state: h.state ?? "" });
    if (!SETTLED.has(h.state ?? "")) problems.push(`node ${h.node} is recorded ${h.state}`);
  }
  // Disk files: a sidecar per overlay, nothing half-made.
  const diskDir = path.join(a.dataDir, "disks");
  const files = await readdir(diskDir).catch(() => [] as string[]);
  const byId = new Map<string, { project: string; name: string }>();
  for (const f of files.filter((f) => f.endsWith(".json"))) {
    const d = JSON.parse(await readFile(path.join(diskDir, f), "utf8")) as { id: string; project: string; name: string };
    byId.set(d.id, d);
    if (!files.includes(`${d.id}.qcow2`)) problems.push(`disk ${d.project}/${d.name}: sidecar without its overlay`);
  }
  for (const f of files.filter((f) => f.endsWith(".qcow2"))) {
    if (!byId.has(f.slice(0, -6))) problems.push(`overlay ${f} without a sidecar (half-made disk)`);
  }
  const disksOf = new Map<string, string[]>();
  for (const d of byId.values()) {
    if (d.project !== a.project) continue;
    const node = d.name.replace(/-\d+$/, "");
    disksOf.set(node, [...(disksOf.get(node) ?? []), d.name]);
  }
  // FUSE exports: each one a disk's.
  const exportDir = path.join(a.dataDir, "exports");
  const exportFiles = await readdir(exportDir).catch(() => [] as string[]);
  const mounts = (await readFile("/proc/mounts", "utf8")).split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(`${exportDir}/`));
  const exportIds = new Set([...exportFiles, ...mounts.map((m) => path.basename(m))].map((f) => f.replace(/\.raw$/, "")));
  for (const id of exportIds) if (!byId.has(id)) problems.push(`export ${id} of no disk`);
  // tgtd: every target a provisioned node's disk, through its backing file.
  const tgt = await tgtdTargets(s.tgtd);
  const targetsOf = new Map<string, string[]>();
  const iqnOf = new Map<string, string>();
  for (const t of tgt) {
    const id = t.backing[0] ? path.basename(t.backing[0]).replace(/\.(raw|qcow2)$/, "") : "";
    const d = byId.get(id);
    if (!d) { problems.push(`tgtd target ${t.iqn} serves ${t.backing[0] ?? "nothing"}, no disk's export`); continue; }
    if (d.project !== a.project) continue;
    const node = d.name.replace(/-\d+$/, "");
    targetsOf.set(node, [...(targetsOf.get(node) ?? []), t.iqn]);
    iqnOf.set(node, t.iqn);
    if (t.accounts.length === 0) problems.push(`tgtd target ${t.iqn} has no CHAP account`);
  }
  // Boot scripts, fetched as the nodes would.
  const nodes = (await s.haas.listNodes({ filter: NodeFilter.NODE_FILTER_ALL, project: "" })).nodes;
  const scripts = new Map<string, string>();
  await eachLimit(nodes, 32, async (n) => {
    const mac = n.nics[0]?.mac;
    if (!mac) return;
    const res = await fetch(`${s.bootHttp}/nodes/${mac.replace(/:/g, "-")}.ipxe`);
    const body = await res.text();
    if (res.status === 200) scripts.set(n.name, body);
    else if (res.status !== 404) problems.push(`boot script of ${n.name}: HTTP ${res.status}`);
  });
  // Node by node: a provisioned node has exactly one of each; any other node has none.
  const all = new Set([...prov.keys(), ...disksOf.keys(), ...targetsOf.keys(), ...scripts.keys()]);
  for (const node of [...all].sort()) {
    const p = prov.get(node);
    const d = disksOf.get(node) ?? [];
    const t = targetsOf.get(node) ?? [];
    const script = scripts.get(node);
    if (!p) {
      if (d.length > 0) problems.push(`orphan disk(s) ${d.join(",")}: no record names them`);
      if (t.length > 0) problems.push(`orphan target(s) ${t.join(",")}`);
      if (script !== undefined) problems.push(`orphan boot script for ${node}`);
      continue;
    }
    if (d.length !== 1 || d[0] !== p.disk) problems.push(`node ${node} (disk ${p.disk}) has disks [${d.join(",")}]`);
    if (t.length !== 1) problems.push(`node ${node} has ${t.length} targets in tgtd [${t.join(",")}]`);
    if (script === undefined) problems.push(`node ${node} is provisioned but boot-service serves it no script`);
    else if (iqnOf.has(node) && !script.includes(iqnOf.get(node)!)) problems.push(`node ${node}'s script names another target than ${iqnOf.get(node)}`);
  }
  const report: AuditReport = {
    jobs: jobs.size, provisioned: prov.size, disks: [...disksOf.values()].flat().length,
    targets: [...targetsOf.values()].flat().length, scripts: scripts.size, exports: exportIds.size, problems,
  };
  if (a.allocated) {
    const held = new Set(a.allocated());
    report.allocated = held.size;
    for (const n of held) if (!prov.has(n)) problems.push(`node ${n} is allocated in HIL with no provisioned record`);
    for (const n of prov.keys()) if (!held.has(n)) problems.push(`node ${n} is provisioned but not allocated in HIL`);
  }
  if (a.natsUrl) report.events = await checkEvents(s.redis, a.natsUrl, jobs, problems);
  return report;
}

/**
 * Counts the stream's events of every job by message id: each id once, and as many as the job numbered
 * (its `seq` in Redis), so none lost and none delivered twice.
 */
async function checkEvents(redis: Redis, url: string, jobs: Map<string, { seq: number }>, problems: string[]): Promise<number> {
  const bus = new EventBus({ servers: [url], redis, outboxKey: "chaos-audit-outbox", log: silentLogger() });
  bus.start();
  try {
    const nc = await bus.ready(30_000);
    const js = nc.jetstream();
    const consumer = await js.consumers.get("BMI_EVENTS", { filterSubjects: "bmi.job.>" });
    const seen = new Map<string, number>();
    const perJob = new Map<string, number>();
    let total = 0;
    for (;;) {
      let last = -1;
      const batch = await consumer.fetch({ max_messages: 2000, expires: 2000 });
      for await (const m of batch) {
        total++;
        last = m.info.pending;
        const id = m.headers?.get("Nats-Msg-Id") ?? "";
        seen.set(id, (seen.get(id) ?? 0) + 1);
        const job = m.subject.slice("bmi.job.".length);
        perJob.set(job, (perJob.get(job) ?? 0) + 1);
      }
      if (last <= 0) break;
    }
    const dups = [...seen].filter(([, n]) => n > 1);
    if (dups.length > 0) problems.push(`${dups.length} event ids delivered more than once (${dups.slice(0, 3).map(([id, n]) => `${id} x${n}`).join(", ")})`);
    for (const [id, j] of jobs) {
      const got = perJob.get(id) ?? 0;
      if (got !== j.seq) problems.push(`job ${id}: ${got} events in JetStream, ${j.seq} numbered`);
    }
    return total;
  } finally {
    await bus.close();
  }
}

async function scanKeys(s: Stack, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of s.redis.scanStream({ match: pattern, count: 1000 })) out.push(...(keys as string[]));
  return out;
}
