import { InvalidArgumentError } from "@bmi/errors";
import { validateMac, validateName } from "@bmi/validate";
import type { NodeSpec, NodeUpdate, PowerSpec } from "./node-driver";

// Hosts and users reach ipmitool's command line: no leading '-', no spaces, no shell-meaningful characters.
const HOST = /^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$/;
const IPMI_USER = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const METADATA_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
// sun_path holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;

/** Checks and normalizes a registration: names, NIC labels and MACs (unique within the node), power, metadata. */
export function validateNodeSpec(spec: NodeSpec): NodeSpec {
  return {
    name: validateName("node", spec.name),
    nics: validateNics(spec.name, spec.nics),
    ...(spec.power ? { power: validatePower(spec.power) } : {}),
    metadata: validateMetadata(spec.metadata),
  };
}

export function validateNodeUpdate(u: NodeUpdate): NodeUpdate {
  return {
    name: validateName("node", u.name),
    ...(u.nics ? { nics: validateNics(u.name, u.nics) } : {}),
    ...(u.power ? { power: validatePower(u.power) } : {}),
    metadata: validateMetadata(u.metadata),
  };
}

function validateNics(node: string, nics: { label: string; mac: string }[]): { label: string; mac: string }[] {
  const labels = new Set<string>();
  const macs = new Set<string>();
  return nics.map((nic) => {
    const label = validateName("NIC", nic.label);
    const mac = validateMac(nic.mac);
    if (labels.has(label)) throw new InvalidArgumentError(`node ${node} lists NIC ${label} twice`);
    if (macs.has(mac)) throw new InvalidArgumentError(`node ${node} lists MAC address ${mac} twice`);
    labels.add(label);
    macs.add(mac);
    return { label, mac };
  });
}

export function validatePower(p: PowerSpec): PowerSpec {
  switch (p.kind) {
    case "ipmi":
      if (!HOST.test(p.host)) throw new InvalidArgumentError(`IPMI host ${JSON.stringify(p.host)} is not a host name or address`);
      if (!IPMI_USER.test(p.user)) throw new InvalidArgumentError(`IPMI user ${JSON.stringify(p.user)} is invalid`);
      return p;
    case "qemu":
      if (!p.qmpSocket.startsWith("/") || p.qmpSocket.includes("\0") || p.qmpSocket.length > MAX_SOCKET_PATH) {
        throw new InvalidArgumentError(`QMP socket ${JSON.stringify(p.qmpSocket)} must be an absolute path of at most ${MAX_SOCKET_PATH} bytes`);
      }
      return p;
    case "obmd": {
      let url: URL | undefined;
      try {
        url = new URL(p.uri);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        throw new InvalidArgumentError(`OBM daemon URI ${JSON.stringify(p.uri)} is not an http(s) URL`);
      }
      if (p.adminToken === "") throw new InvalidArgumentError("the OBM daemon's admin token is required");
      return p;
    }
  }
}

/**
 * Capabilities are metadata under well-known keys, so HIL's node metadata carries them as they are: whole numbers
 * (cpus, memory_gib, disk_gib, nic_gbps, gpus), the rack's name and accelerators (names, comma separated). Every
 * other key is a free-form label. The scheduler's selectors compare both (orchestrator/src/scheduler).
 */
export const NUMERIC_CAPABILITIES = ["cpus", "memory_gib", "disk_gib", "nic_gbps", "gpus"];
const LABEL_VALUE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/;

function validateMetadata(m: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(m)) {
    if (!METADATA_KEY.test(key)) throw new InvalidArgumentError(`metadata key ${JSON.stringify(key)} is invalid`);
    if (value.length > 4096) throw new InvalidArgumentError(`metadata ${key} is longer than 4096 characters`);
    if (value === "") continue;
    if (NUMERIC_CAPABILITIES.includes(key) && !/^(0|[1-9][0-9]{0,8})$/.test(value)) {
      throw new InvalidArgumentError(`capability ${key} must be a whole number, not ${JSON.stringify(value)}`);
    }
    if (key === "rack" && !LABEL_VALUE.test(value)) throw new InvalidArgumentError(`rack ${JSON.stringify(value)} is not a name`);
    if (key === "accelerators" && !value.split(",").every((a) => LABEL_VALUE.test(a))) {
      throw new InvalidArgumentError(`accelerators ${JSON.stringify(value)}: names separated by commas`);
    }
  }
  return m;
}
