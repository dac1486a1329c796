import { validateMac } from "@bmi/validate";
import { Node, NodeFilter, PowerSpec } from "@bmi/proto/bmi/haas/v1/haas";
import { Provisioned } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { arg, flag, opt, type Command, type Ctx, type Options, type Values } from "../context";
import { secretFile } from "../credentials";
import { CliError, UsageError, errorCodeOf, exitCodeOf, interruption } from "../exit-codes";
import { parsePower } from "../power-url";
import { describeFailure } from "../report";
import { field, readList } from "../spec-file";

interface Registration { name: string; nics: { label: string; mac: string; networks: Record<string, string> }[]; power?: PowerSpec; metadata: Record<string, string> }

function nic(text: string): { label: string; mac: string; networks: Record<string, string> } {
  const i = text.indexOf("=");
  if (i < 1) throw new UsageError(`--nic ${text}: use LABEL=MAC`);
  return { label: text.slice(0, i), mac: validateMac(text.slice(i + 1)), networks: {} };
}

function pairs(list: string[], flag: string): Record<string, string> {
  return Object.fromEntries(list.map((kv) => {
    const i = kv.indexOf("=");
    if (i < 1) throw new UsageError(`--${flag} ${kv}: use KEY=VALUE`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

/** One inventory entry: {name, nics: [{label, mac}] or {label: mac}, power: URL or {ipmi|qemu|obmd}, metadata}. */
function fromEntry(e: Record<string, unknown>): Registration {
  const name = field(e, "name");
  if (!name) throw new UsageError("an inventory entry has no name");
  const raw = e.nics ?? [];
  const list = Array.isArray(raw) ? raw.map((n: Record<string, unknown>) => `${field(n, "label")}=${field(n, "mac")}`)
    : Object.entries(raw as Record<string, unknown>).map(([l, m]) => `${l}=${String(m)}`);
  const power = typeof e.power === "string" ? parsePower(e.power) : e.power ? PowerSpec.fromJSON(e.power) : undefined;
  const metadata = Object.fromEntries(Object.entries((e.metadata ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  return { name, nics: list.map(nic), metadata, ...(power ? { power } : {}) };
}

async function register(ctx: Ctx, r: Registration): Promise<void> {
  const { node } = await ctx.orch.registerNode({ name: r.name, nics: r.nics, power: r.power, metadata: r.metadata }, ctx.call);
  if (ctx.out.json) ctx.out.data(node ? Node.toJSON(node) : {}, true);
  else ctx.out.line(`registered node ${r.name} (${r.nics.map((n) => `${n.label}=${n.mac}`).join(", ")})`);
}

/** --power, with the IPMI password from --ipmi-password-file when the URL has none. */
function powerOf(v: Values): PowerSpec | undefined {
  if (typeof v.power !== "string") {
    if (v["ipmi-password-file"] !== undefined) throw new UsageError("--ipmi-password-file needs --power ipmi://user@host");
    return undefined;
  }
  const power = parsePower(v.power);
  if (typeof v["ipmi-password-file"] === "string") {
    if (!power.ipmi) throw new UsageError("--ipmi-password-file needs --power ipmi://user@host");
    power.ipmi.password = secretFile(v["ipmi-password-file"], "IPMI password");
  }
  return power;
}

const POWER_OPTIONS: Options = {
  power: opt("URL", "ipmi://user@host (password: --ipmi-password-file), qemu:///path/qmp.sock, obmd+http://..."),
  "ipmi-password-file": opt("FILE", "the IPMI password (FILE's first line; - for standard input), instead of in the URL"),
};

export const nodeCommands: Command[] = [
  {
    name: "node set", example: "bmi node set n1 --power ipmi://admin@10.0.0.22 --ipmi-password-file ipmi.pass --meta rack=r12 --meta old=",
    args: "NAME [--nic LABEL=MAC...] [--power URL [--ipmi-password-file FILE]] [--meta K=V...]",
    summary: "change a registered node (admins): NICs replaced when given, power replaced when given, metadata merged",
    options: { nic: opt("LABEL=MAC", "the node's NICs: all of them, replacing the list (repeat)", { multiple: true }),
      ...POWER_OPTIONS, meta: opt("K=V", "merged into the metadata; K= removes K (repeat)", { multiple: true }) },
    async run(ctx, p, v) {
      const name = arg(p, 0, "NAME");
      const nics = ((v.nic as string[] | undefined) ?? []).map(nic);
      const power = powerOf(v);
      const metadata = pairs((v.meta as string[] | undefined) ?? [], "meta");
      if (nics.length === 0 && !power && Object.keys(metadata).length === 0) throw new UsageError("nothing to change: give --nic, --power or --meta");
      const { node } = await ctx.orch.updateNode({ name, nics, power, metadata }, ctx.call);
      if (ctx.out.json) return ctx.out.data(node ? Node.toJSON(node) : {});
      ctx.out.line(`updated node ${name}`);
    },
  },
  {
    name: "node label", example: "bmi node label n1 gpu=true cpus=64 memory_gib=512 rack=r12 old-",
    args: "NAME K=V... | K-...",
    summary: "set a node's labels and capabilities (admins): cpus, memory_gib, disk_gib, nic_gbps, gpus (whole numbers), rack, accelerators, or any label; K- removes K",
    async run(ctx, p) {
      const name = arg(p, 0, "NAME");
      if (p.length < 2) throw new UsageError("missing K=V (or K- to remove a label)");
      const metadata = Object.fromEntries(p.slice(1).map((kv) => {
        if (/^[^=]+-$/.test(kv)) return [kv.slice(0, -1), ""];
        const i = kv.indexOf("=");
        if (i < 1 || i === kv.length - 1) throw new UsageError(`${kv}: use K=V to set, K- to remove`);
        return [kv.slice(0, i), kv.slice(i + 1)];
      }));
      const { node } = await ctx.orch.updateNode({ name, nics: [], power: undefined, metadata }, ctx.call);
      if (ctx.out.json) return ctx.out.data(node ? Node.toJSON(node) : {});
      ctx.out.line(`labelled node ${name}: ${Object.entries(node?.metadata ?? {}).map(([k, val]) => `${k}=${val}`).join(" ") || "(no labels)"}`);
    },
  },
  {
    name: "node ls", example: "bmi node ls --free", args: "[--free | --all]", summary: "list nodes (the project's by default) through the gateway",
    options: { free: flag("nodes no project holds"), all: flag("every node (admins)") },
    async run(ctx, _p, v) {
      const filter = v.free ? NodeFilter.NODE_FILTER_FREE : v.all ? NodeFilter.NODE_FILTER_ALL : NodeFilter.NODE_FILTER_PROJECT;
      const { nodes, notice } = await ctx.orch.listNodes({ filter, project: filter === NodeFilter.NODE_FILTER_PROJECT ? ctx.project() : "" }, ctx.call);
      if (ctx.out.json) return ctx.out.data(nodes.map((n) => Node.toJSON(n)));
      ctx.out.table(nodes.map((n) => ({ name: n.name, project: n.project || "(free)", nics: n.nics.map((c) => `${c.label}=${c.mac}`).join(" "),
        power: n.powerDriver, labels: Object.entries(n.metadata).map(([k, val]) => `${k}=${val}`).join(",") })),
      ["name", "project", "nics", "power", "labels"]);
      if (notice) process.stderr.write(`note: ${notice}\n`);
    },
  },
  {
    name: "node show", example: "bmi node show n1", args: "NAME", summary: "a node, its NICs and networks, and what BMI provisioned on it",
    async run(ctx, p) {
      const res = await ctx.orch.getNode({ node: arg(p, 0, "NAME") }, ctx.call);
      if (ctx.out.json) return ctx.out.data({ node: res.node ? Node.toJSON(res.node) : null, provisioned: res.provisioned ? Provisioned.toJSON(res.provisioned) : null });
      const n = res.node!;
      ctx.out.line(`name         ${n.name}\nproject      ${n.project || "(free)"}\npower        ${n.powerDriver || "-"}\nisolated     ${n.isolated ? "yes" : "no"}`);
      for (const c of n.nics) ctx.out.line([`nic          ${c.label} ${c.mac}`, ...Object.entries(c.networks).map(([ch, net]) => `${net}(${ch})`)].join(" "));
      for (const [k, val] of Object.entries(n.metadata)) ctx.out.line(`metadata     ${k}=${val}`);
      const pr = res.provisioned;
      if (pr) ctx.out.line(`provisioned  disk ${pr.disk} image ${pr.image || "-"} target ${pr.targetIqn || "-"} (job ${pr.jobId})`);
    },
  },
  {
    name: "node register", example: "bmi node register n1 --nic eth0=52:54:00:aa:00:01 --power ipmi://admin@10.0.0.21 --ipmi-password-file ipmi.pass", args: "NAME --nic LABEL=MAC... [--power URL [--ipmi-password-file FILE]] [--meta K=V...]",
    summary: "add a physical node (admins only)",
    options: { nic: opt("LABEL=MAC", "a NIC (repeat for each)", { multiple: true }),
      ...POWER_OPTIONS,
      meta: opt("K=V", "metadata (repeat)", { multiple: true }) },
    async run(ctx, p, v) {
      const nics = ((v.nic as string[] | undefined) ?? []).map(nic);
      if (nics.length === 0) throw new UsageError("at least one --nic LABEL=MAC");
      const power = powerOf(v);
      await register(ctx, { name: arg(p, 0, "NAME"), nics, metadata: pairs((v.meta as string[] | undefined) ?? [], "meta"), ...(power ? { power } : {}) });
    },
  },
  {
    name: "node unregister", example: "bmi node unregister n1", args: "NAME", summary: "remove a node (refused while it is provisioned or allocated)",
    async run(ctx, p) {
      const name = arg(p, 0, "NAME");
      await ctx.orch.unregisterNode({ name }, ctx.call);
      if (!ctx.out.json) ctx.out.line(`unregistered node ${name}`);
    },
  },
  {
    name: "node import", example: "bmi node import inventory.yaml", args: "FILE", summary: "register every node of a YAML/JSON inventory ({nodes: [...]} or a list)",
    async run(ctx, p) {
      const entries = (await readList(arg(p, 0, "FILE"), "nodes")).map(fromEntry);
      const failed: Array<{ node: string; err: unknown }> = [];
      for (const [i, r] of entries.entries()) {
        try {
          await register(ctx, r);
        } catch (err) {
          const stop = interruption(ctx.signal, `interrupted: ${i - failed.length} of ${entries.length} nodes registered`);
          if (stop) throw stop;
          failed.push({ node: r.name, err });
        }
      }
      if (failed.length === 0) return;
      // One line for all of them; the exit code of the worst (unavailable > denied > conflict > not found > usage).
      const worst = failed.reduce((a, b) => (exitCodeOf(b.err) > exitCodeOf(a.err) ? b : a)).err;
      const why = failed.map((f) => `${f.node}: ${describeFailure(f.err)}`).join("; ");
      throw new CliError(errorCodeOf(worst), exitCodeOf(worst), `${failed.length} of ${entries.length} nodes not registered: ${why}`);
    },
  },
];
