import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { NodeSpec, PowerSpec } from "./node-driver";
import { validateNodeSpec } from "./node-spec";

/**
 * Reads a node inventory (YAML or JSON) and checks every node, listing all problems at once:
 *
 *   nodes:
 *     - name: n1
 *       nics: [{label: eth0, mac: "52:54:00:12:34:56"}]    # or {eth0: "52:54:00:12:34:56"}
 *       power: "ipmi://admin:secret@10.0.0.5"             # or "qemu:///run/bmi/n1.qmp", or {ipmi: {host, user, password}}
 *       metadata: {rack: r1}
 *       capabilities: {cpus: 32, memory_gib: 256, nic_gbps: 25, gpus: 2, accelerators: "a100"}   # metadata as well
 *       labels: {gpu: "true", tier: gold}                                                         # metadata as well
 */
export function readInventory(file: string): NodeSpec[] {
  const doc = parseYaml(readFileSync(file, "utf8")) as { nodes?: unknown } | null;
  const raw = doc?.nodes ?? [];
  if (!Array.isArray(raw)) throw new Error(`${file}: "nodes" must be a list`);
  const problems: string[] = [];
  const specs: NodeSpec[] = [];
  raw.forEach((entry: unknown, i) => {
    try {
      specs.push(validateNodeSpec(toSpec(entry)));
    } catch (err) {
      problems.push(`node #${i + 1}: ${(err as Error).message}`);
    }
  });
  if (problems.length > 0) throw new Error(`${file}:\n  ${problems.join("\n  ")}`);
  return specs;
}

function toSpec(entry: unknown): NodeSpec {
  const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
  const nics = Array.isArray(e["nics"])
    ? (e["nics"] as Record<string, unknown>[]).map((n) => ({ label: String(n["label"] ?? ""), mac: String(n["mac"] ?? "") }))
    : Object.entries((e["nics"] ?? {}) as Record<string, unknown>).map(([label, mac]) => ({ label, mac: String(mac) }));
  // capabilities (cpus, memory_gib, rack, ...) and labels are metadata too, listed apart for people's sake.
  const metadata = Object.fromEntries(["metadata", "capabilities", "labels"].flatMap((f) =>
    Object.entries((e[f] ?? {}) as Record<string, unknown>)).map(([k, v]) => [k, String(v)]));
  const power = e["power"] === undefined ? undefined : parsePower(e["power"]);
  return { name: String(e["name"] ?? ""), nics, metadata, ...(power ? { power } : {}) };
}

/** "ipmi://user:password@host", "qemu:///path/to/qmp.sock", or the object forms. */
export function parsePower(value: unknown): PowerSpec {
  if (typeof value === "string") {
    const url = new URL(value);
    if (url.protocol === "ipmi:") {
      return { kind: "ipmi", host: url.hostname, user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    }
    if (url.protocol === "qemu:") return { kind: "qemu", qmpSocket: decodeURIComponent(url.pathname) };
    throw new Error(`power ${JSON.stringify(value)}: use ipmi://user:password@host or qemu:///path/to/qmp.sock`);
  }
  const v = (value ?? {}) as { ipmi?: Record<string, unknown>; qemu?: Record<string, unknown> };
  if (v.ipmi) {
    return { kind: "ipmi", host: String(v.ipmi["host"] ?? ""), user: String(v.ipmi["user"] ?? ""), password: String(v.ipmi["password"] ?? "") };
  }
  if (v.qemu) return { kind: "qemu", qmpSocket: String(v.qemu["qmp_socket"] ?? v.qemu["qmpSocket"] ?? "") };
  throw new Error("power must be ipmi or qemu");
}
