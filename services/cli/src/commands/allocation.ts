import { readFile } from "node:fs/promises";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import {
  Cluster, Lease, LeaseState, Placement, Plan, type NodeRequest,
} from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { arg, flag, num, opt, type Command, type Ctx, type Options, type Values } from "../context";
import { OperationFailed, UsageError } from "../exit-codes";
import { onFile } from "../local-file";
import { when } from "../output";

const SPANS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** "+2h", "90m" (from now), or an ISO 8601 time. */
export function parseWhen(flag: string, text: string, now = Date.now()): Date {
  const span = /^\+?(\d+)([smhd])$/.exec(text);
  const t = span ? new Date(now + Number(span[1]) * SPANS[span[2]!]!) : new Date(text);
  if (!/^[+\d]/.test(text) || Number.isNaN(t.getTime())) throw new UsageError(`--${flag} ${text}: a span from now like 30m, 2h, 7d or an ISO time`);
  return t;
}

export function parseSpan(flag: string, text: string): number {
  const span = /^(\d+)([smhd])$/.exec(text);
  if (!span) throw new UsageError(`--${flag} ${text}: a span like 30m, 2h, 7d`);
  return (Number(span[1]) * SPANS[span[2]!]!) / 1000;
}

export const SELECT_OPTIONS: Options = {
  selector: opt("SEL", "labels and capabilities the nodes must have: gpu=true,cpus>=16,rack!=r3 (default: any node)"),
  placement: opt("P", "spread (default: across racks) or pack (into few racks)"),
  "min-count": opt("M", "take as many as are free, if at least M (default: all N or nothing)"),
  "dry-run": flag("print the plan (nodes, images, quota, what would fail, time estimate) and change nothing"),
};

export function nodeRequest(v: Values, count: number): NodeRequest {
  const p = (v.placement as string | undefined) ?? "spread";
  if (p !== "spread" && p !== "pack") throw new UsageError(`--placement ${p}: spread or pack`);
  if (count < 1) throw new UsageError("--count must be at least 1");
  return { count, selector: (v.selector as string | undefined) ?? "", minCount: num(v, "min-count"),
    placement: p === "pack" ? Placement.PLACEMENT_PACK : Placement.PLACEMENT_SPREAD };
}

/** Prints a dry run's plan; exit 1 when something would fail (the plan lists it). */
export function printPlan(ctx: Ctx, plan: Plan | undefined): number | void {
  if (!plan) throw new OperationFailed("the orchestrator answered no plan");
  if (ctx.out.json) ctx.out.data(Plan.toJSON(plan));
  else {
    ctx.out.line("dry run: nothing was changed");
    ctx.out.table(plan.nodes.map((n) => ({ node: n.node, role: n.role || "-", image: n.image, rack: n.rack || "-", network: n.network || "-" })),
      ["node", "role", "image", "rack", "network"]);
    ctx.out.line(`quota nodes  ${plan.quotaUsed} in use -> ${plan.quotaAfter} (limit ${plan.quotaLimit ?? "unlimited"})`);
    ctx.out.line(`estimate     ${plan.estimateSeconds} s (${plan.estimateBasis})`);
    for (const p of plan.problems) ctx.out.line(`would fail   ${p}`);
  }
  return plan.problems.length > 0 ? 1 : undefined;
}

const stateOf = (s: LeaseState) => (LeaseState[s] ?? "").replace(/^LEASE_STATE_/, "").toLowerCase();

/** A lease's state; an end that failed on some nodes (still provisioned, retried) says so. */
function leaseState(l: Lease): string {
  const stuck = l.stuckNodes.length;
  return stuck === 0 ? stateOf(l.state) : `${stateOf(l.state)}, end failed on ${stuck} node${stuck === 1 ? "" : "s"}`;
}

function leaseRow(l: Lease): Record<string, string | number> {
  return { id: l.id, state: leaseState(l), nodes: l.nodes.length, start: when(l.start), end: when(l.end), cluster: l.cluster || "-", user: l.user };
}

function showLease(ctx: Ctx, l: Lease | undefined): void {
  if (!l) throw new OperationFailed("the orchestrator answered no lease");
  if (ctx.out.json) return ctx.out.data(Lease.toJSON(l));
  const row = leaseRow(l);
  for (const k of ["id", "state", "start", "end", "cluster", "user"]) ctx.out.line(`${k.padEnd(8)} ${row[k]}`);
  ctx.out.line(`disks    ${l.deleteDisks ? "deleted at the end" : "kept at the end"}`);
  if (l.startJobs.length) ctx.out.line(`started  ${l.startJobs.join(" ")}`);
  if (l.endJobs.length) ctx.out.line(`ended    ${l.endJobs.join(" ")}`);
  for (const n of l.stuckNodes) {
    const jobs = `${n.attempts} failed end job${n.attempts === 1 ? "" : "s"}, last ${n.job}`;
    ctx.out.line(`stuck    ${n.node}: ${n.error} (${jobs}; next try ${when(n.nextAttempt)})`);
  }
  ctx.out.table(l.nodes.map((n) => ({ node: n.node, role: n.role || "-", image: n.image, rack: n.rack || "-" })), ["node", "role", "image", "rack"]);
}

function showCluster(ctx: Ctx, c: Cluster | undefined): void {
  if (!c) throw new OperationFailed("the orchestrator answered no cluster");
  if (ctx.out.json) return ctx.out.data(Cluster.toJSON(c));
  ctx.out.line(`cluster  ${c.name} (template ${c.template})`);
  if (c.lease) ctx.out.line(`lease    ${c.lease.id} ${stateOf(c.lease.state)}, ends ${when(c.lease.end)}`);
  ctx.out.table(c.roles.map((r) => ({ role: r.name, order: r.order, image: r.image, count: `${r.count} (${r.min}-${r.max})`, nodes: r.nodes.join(" ") })),
    ["role", "order", "image", "count", "nodes"]);
}

/** A template file with --count ROLE=N and --image ROLE=IMAGE applied. */
async function template(file: string, v: Values): Promise<string> {
  const text = await onFile("read", file, () => readFile(file, "utf8"));
  const overrides = [...((v.count as string[] | undefined) ?? []).map((o) => ["count", o] as const),
    ...((v.image as string[] | undefined) ?? []).map((o) => ["image", o] as const)];
  if (overrides.length === 0) return text;
  let doc: { roles?: Array<Record<string, unknown>> };
  try {
    doc = parseYaml(text) as typeof doc;
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message.split("\n")[0]}`);
  }
  for (const [k, o] of overrides) {
    const m = /^([^=]+)=(.+)$/.exec(o);
    const role = doc?.roles?.find((r) => r["name"] === m?.[1]);
    if (!m || !role) throw new UsageError(`--${k} ${o}: use ROLE=VALUE with a role of ${file}`);
    role[k] = k === "count" ? Number(m[2]) : m[2];
    if (k === "count" && Number(role["max"] ?? 0) < Number(m[2])) role["max"] = Number(m[2]);
  }
  return toYaml(doc);
}

export const allocationCommands: Command[] = [
  {
    name: "lease create", example: "bmi lease create --count 4 --image centos7 --selector gpu=true --duration 8h\nbmi lease create --count 2 --image centos7 --start +1h --end 2026-12-01T18:00Z --dry-run",
    args: "--count N --image IMAGE (--end TIME | --duration SPAN) [--start TIME] [--network NET] [--selector SEL] [--placement spread|pack] [--min-count M] [--delete-disks] [--power-cycle] [--dry-run]",
    summary: "hold N nodes from a start to an end: provisioned at the start, deprovisioned and released at the end",
    options: { count: opt("N", "how many nodes"), image: opt("IMAGE", "the image they are provisioned with"),
      network: opt("NET", "the network their NICs join (HIL)"),
      start: opt("TIME", "when it starts: +1h, 30m or an ISO time (default: now); its nodes are held from then"),
      end: opt("TIME", "when it ends: +8h or an ISO time"), duration: opt("SPAN", "or how long: 8h, 2d"),
      "delete-disks": flag("delete the nodes' disks at the end (default: kept, for bmi repro)"),
      "power-cycle": flag("power the nodes on at the start"), ...SELECT_OPTIONS },
    async run(ctx, _p, v) {
      if (!v.count || !v.image) throw new UsageError("--count N and --image IMAGE are required");
      if (!v.end === !v.duration) throw new UsageError("give --end TIME or --duration SPAN");
      const start = typeof v.start === "string" ? parseWhen("start", v.start) : undefined;
      const res = await ctx.alloc.createLease({
        project: ctx.project(), nodes: nodeRequest(v, num(v, "count")), image: v.image as string, network: (v.network as string) ?? "",
        start, end: typeof v.end === "string" ? parseWhen("end", v.end) : undefined,
        durationSeconds: typeof v.duration === "string" ? parseSpan("duration", v.duration) : 0,
        deleteDisks: v["delete-disks"] === true, powerCycle: v["power-cycle"] === true, dryRun: v["dry-run"] === true,
      }, ctx.call);
      if (v["dry-run"]) return printPlan(ctx, res.plan);
      showLease(ctx, res.lease);
    },
  },
  {
    name: "lease ls", example: "bmi lease ls", args: "", summary: "the project's leases, newest first",
    async run(ctx) {
      const { leases } = await ctx.alloc.listLeases({ project: ctx.project() }, ctx.call);
      ctx.out.list(leases, Lease.toJSON, leaseRow, ["id", "state", "nodes", "start", "end", "cluster", "user"]);
    },
  },
  {
    name: "lease show", example: "bmi lease show l0123abcd", args: "ID", summary: "a lease, its nodes and jobs",
    async run(ctx, p) {
      showLease(ctx, (await ctx.alloc.getLease({ id: arg(p, 0, "ID") }, ctx.call)).lease);
    },
  },
  {
    name: "lease extend", example: "bmi lease extend l0123abcd --by 2h\nbmi lease extend l0123abcd --end 2026-12-01T18:00Z",
    args: "ID (--by SPAN | --end TIME)", summary: "move a lease's end: later (refused if another reservation holds a node then) or earlier",
    options: { by: opt("SPAN", "this much later than its current end: 2h, 1d"),
      end: opt("TIME", "the new end: +3h (from now) or an ISO time; earlier shortens it") },
    async run(ctx, p, v) {
      const id = arg(p, 0, "ID");
      if (!v.by === !v.end) throw new UsageError("give --by SPAN or --end TIME");
      let end: Date;
      if (typeof v.by === "string") {
        const by = parseSpan("by", v.by);
        const { lease } = await ctx.alloc.getLease({ id }, ctx.call);
        end = new Date((lease?.end?.getTime() ?? Date.now()) + by * 1000);
      } else end = parseWhen("end", v.end as string);
      showLease(ctx, (await ctx.alloc.updateLease({ id, end }, ctx.call)).lease);
    },
  },
  {
    name: "lease end", example: "bmi lease end l0123abcd", args: "ID", summary: "end a lease now: its nodes are deprovisioned and released",
    async run(ctx, p) {
      showLease(ctx, (await ctx.alloc.endLease({ id: arg(p, 0, "ID") }, ctx.call)).lease);
    },
  },
  {
    name: "cluster up", example: "bmi cluster up hpc1 deploy/clusters/hpc.yaml --count compute=4\nbmi cluster up hpc1 deploy/clusters/hpc.yaml --dry-run",
    args: "NAME TEMPLATE [--count ROLE=N...] [--image ROLE=IMAGE...] [--end TIME] [--no-power] [--dry-run]",
    summary: "bring up a cluster from a template (roles, images, counts, start order) as one tracked object",
    options: { count: opt("ROLE=N", "a role's node count (repeat)", { multiple: true }),
      image: opt("ROLE=IMAGE", "a role's image (repeat)", { multiple: true }),
      end: opt("TIME", "when it goes down by itself: +8h or an ISO time (default: at bmi cluster down)"),
      "no-power": flag("provision only; do not power the nodes on"),
      "dry-run": SELECT_OPTIONS["dry-run"]! },
    async run(ctx, p, v) {
      const name = arg(p, 0, "NAME");
      const text = await template(arg(p, 1, "TEMPLATE"), v);
      const res = await ctx.alloc.createCluster({ project: ctx.project(), name, template: text,
        end: typeof v.end === "string" ? parseWhen("end", v.end) : undefined, powerCycle: v["no-power"] !== true, dryRun: v["dry-run"] === true }, ctx.call);
      if (v["dry-run"]) return printPlan(ctx, res.plan);
      showCluster(ctx, res.cluster);
    },
  },
  {
    name: "cluster ls", example: "bmi cluster ls", args: "", summary: "the project's clusters",
    async run(ctx) {
      const { clusters } = await ctx.alloc.listClusters({ project: ctx.project() }, ctx.call);
      ctx.out.list(clusters, Cluster.toJSON, (c) => ({ name: c.name, template: c.template, state: c.lease ? stateOf(c.lease.state) : "-",
        roles: c.roles.map((r) => `${r.name}=${r.count}`).join(" ") }), ["name", "template", "state", "roles"]);
    },
  },
  {
    name: "cluster show", example: "bmi cluster show hpc1", args: "NAME", summary: "a cluster: roles, nodes, lease, and (--json) each node's metadata",
    async run(ctx, p) {
      showCluster(ctx, (await ctx.alloc.getCluster({ project: ctx.project(), name: arg(p, 0, "NAME") }, ctx.call)).cluster);
    },
  },
  {
    name: "cluster scale", example: "bmi cluster scale hpc1 compute=6", args: "NAME ROLE=N [--dry-run]",
    summary: "set a role's node count within its template's range: nodes added or removed",
    options: { "dry-run": SELECT_OPTIONS["dry-run"]! },
    async run(ctx, p, v) {
      const name = arg(p, 0, "NAME");
      const m = /^([^=]+)=(\d+)$/.exec(arg(p, 1, "ROLE=N"));
      if (!m) throw new UsageError(`${p[1]}: use ROLE=N`);
      const res = await ctx.alloc.scaleCluster({ project: ctx.project(), name, role: m[1]!, count: Number(m[2]), dryRun: v["dry-run"] === true }, ctx.call);
      if (v["dry-run"]) return printPlan(ctx, res.plan);
      showCluster(ctx, res.cluster);
    },
  },
  {
    name: "cluster down", example: "bmi cluster down hpc1", args: "NAME", summary: "take a cluster down: every node deprovisioned (disks deleted) and released",
    async run(ctx, p) {
      const { cluster } = await ctx.alloc.deleteCluster({ project: ctx.project(), name: arg(p, 0, "NAME") }, ctx.call);
      if (ctx.out.json) return ctx.out.data(cluster ? Cluster.toJSON(cluster) : {});
      ctx.out.line(`cluster ${cluster?.name ?? p[0]} is going down (lease ${cluster?.lease?.id ?? "-"}: ${cluster?.lease ? stateOf(cluster.lease.state) : "-"})`);
    },
  },
];
