import { InvalidArgumentError } from "@bmi/errors";
import { validateName } from "@bmi/validate";
import { parse as parseYaml } from "yaml";
import { validateImageRef } from "../jobs/inputs";
import { parsePlacement, parseSelector, type Placement } from "../scheduler/selector";

/** One role of a cluster template. */
export interface RoleTemplate {
  name: string;
  image: string;
  count: number;
  min: number;
  max: number;
  selector: string;
  placement: Placement;
  network: string;
  /** Lower starts first; roles of one order start together. */
  order: number;
  metadata: Record<string, string>;
}

export interface ClusterTemplate { name: string; description: string; roles: RoleTemplate[] }

const MAX_TEMPLATE = 64 * 1024;
const META_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * A cluster template (YAML):
 *
 *   name: hpc
 *   roles:
 *     - {name: head, image: slurm, count: 1, order: 1, metadata: {slurm_role: controller}}
 *     - {name: compute, image: slurm, count: 2, min: 1, max: 64, selector: "cpus>=8", placement: spread,
 *        network: hpc-net, order: 2}
 *
 * `count` defaults to `min` (or 1); `min`/`max` bound ScaleCluster (default: count). Every problem is INVALID_ARGUMENT.
 */
export function parseTemplate(text: string): ClusterTemplate {
  if (text.length > MAX_TEMPLATE) throw new InvalidArgumentError(`a cluster template is at most ${MAX_TEMPLATE} bytes`);
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 16 });
  } catch (err) {
    throw new InvalidArgumentError(`cluster template: ${(err as Error).message.split("\n")[0]}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new InvalidArgumentError("cluster template: a mapping with name and roles");
  const d = doc as Record<string, unknown>;
  if (d["name"] === undefined) throw new InvalidArgumentError("cluster template: no name (a mapping with name and roles)");
  const name = validateName("template", String(d["name"] ?? ""));
  const raw = d["roles"];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 32) throw new InvalidArgumentError("cluster template: roles must list 1 to 32 roles");
  const roles = raw.map((r, i) => role(r, i));
  const names = new Set<string>();
  for (const r of roles) {
    if (names.has(r.name)) throw new InvalidArgumentError(`cluster template: role ${r.name} is named twice`);
    names.add(r.name);
  }
  return { name, description: String(d["description"] ?? ""), roles };
}

function role(raw: unknown, i: number): RoleTemplate {
  if (typeof raw !== "object" || raw === null) throw new InvalidArgumentError(`cluster template: role #${i + 1} is not a mapping`);
  const r = raw as Record<string, unknown>;
  const name = validateName("role", String(r["name"] ?? ""));
  const where = `role ${name}`;
  const int = (k: string, dflt: number): number => {
    const v = r[k] === undefined ? dflt : Number(r[k]);
    if (!Number.isSafeInteger(v) || v < 0 || v > 10_000) throw new InvalidArgumentError(`${where}: ${k} must be a whole number from 0 to 10000`);
    return v;
  };
  const count = int("count", r["min"] === undefined ? 1 : Number(r["min"]));
  const min = int("min", count);
  const max = int("max", count);
  if (count < 1 || min > count || count > max) throw new InvalidArgumentError(`${where}: needs 1 <= min <= count <= max (${min}, ${count}, ${max})`);
  const image = validateImageRef(String(r["image"] ?? ""));
  const selector = parseSelector(String(r["selector"] ?? "")).text;
  const placement = parsePlacement(String(r["placement"] ?? ""));
  const network = r["network"] === undefined || r["network"] === "" ? "" : validateName("network", String(r["network"]));
  const meta = (r["metadata"] ?? {}) as Record<string, unknown>;
  if (typeof meta !== "object" || Array.isArray(meta)) throw new InvalidArgumentError(`${where}: metadata must be a mapping`);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (!META_KEY.test(k) || k === "role" || k === "peers" || k === "cluster" || k === "cluster_secret") throw new InvalidArgumentError(`${where}: metadata key ${JSON.stringify(k)} is invalid or reserved`);
    const value = typeof v === "string" ? v : JSON.stringify(v);
    if (value.length > 4096) throw new InvalidArgumentError(`${where}: metadata ${k} is longer than 4096 characters`);
    metadata[k] = value;
  }
  return { name, image, count, min, max, selector, placement, network, order: int("order", i + 1), metadata };
}
