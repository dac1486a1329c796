import { UnavailableError } from "@bmi/errors";
import { normalizeMac } from "@bmi/validate";
import type { CallScope, NodeInfo } from "../node-driver";
import type { HilClient } from "./hil-client";

interface HilNode {
  name?: unknown;
  project?: unknown;
  nics?: { label?: unknown; macaddr?: unknown; networks?: unknown }[];
  metadata?: Record<string, unknown>;
}

/** GET /v0/node/<n> as a NodeInfo. HIL keeps metadata values as JSON text: strings come back unquoted. */
export async function showNode(hil: HilClient, scope: CallScope, node: string): Promise<NodeInfo> {
  const body = (await hil.call(scope, "GET", `/v0/node/${encodeURIComponent(node)}`)) as HilNode | undefined;
  if (typeof body !== "object" || body === null || !Array.isArray(body.nics)) {
    throw new UnavailableError(`HIL answered show_node ${node} with an unexpected body`);
  }
  return {
    name: typeof body.name === "string" ? body.name : node,
    project: typeof body.project === "string" && body.project !== "" ? body.project : null,
    nics: body.nics.map((nic) => ({
      label: String(nic.label),
      mac: normalizeMac(String(nic.macaddr ?? "")),
      networks: stringMap(nic.networks),
    })),
    metadata: Object.fromEntries(Object.entries(body.metadata ?? {}).map(([k, v]) => [k, metadataValue(v)])),
    powerDriver: "obm",
  };
}

function metadataValue(raw: unknown): string {
  if (typeof raw !== "string") return JSON.stringify(raw);
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === "string" ? value : JSON.stringify(value);
  } catch {
    return raw;
  }
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== "object" || v === null) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}
