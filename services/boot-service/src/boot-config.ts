import { InvalidArgumentError } from "@bmi/errors";
import { validateIqn, validateMac, validateName } from "@bmi/validate";

export type Firmware = "bios" | "uefi" | "unspecified";

/** How one node network-boots: which NICs, which iSCSI target, and the credentials to log in. */
export interface BootConfig {
  node: string;
  project: string;
  /** Lowercase, colon separated. */
  macs: string[];
  target: { iqn: string; portals: string[]; lun: number };
  /** Never logged: log `describe(config)`. */
  chap: { user: string; secret: string };
  /** Mutual CHAP: the target's own credentials, which the node checks before it trusts the target. Never logged. */
  reverseChap?: { user: string; secret: string };
  initiatorIqn: string;
  firmware: Firmware;
  /** UEFI loader on the disk's EFI system partition, e.g. \EFI\BOOT\BOOTX64.EFI. */
  efiLoader: string;
  /** ISO timestamp. */
  updated: string;
  /** What the node's OS reads over NoCloud (nocloud.ts); absent: the instance id alone. */
  metadata?: NodeMetadata;
  /** Read from the store beside the config, never part of what is set: where the script may go. */
  binding?: Binding;
}

/** A node's NoCloud metadata: its host name (empty: the node's name) and user-data (empty: none). */
export interface NodeMetadata {
  hostname: string;
  userData: string;
}

/**
 * Where a node's script may go (script-binding.ts): armed (no address) until a fetch binds it to the address that
 * fetched it. Times are ISO timestamps, "" for never.
 */
export interface Binding {
  address: string;
  armed: string;
  bound: string;
  /** target-service confirmed the target's ACL holds the address. */
  targetAcl: boolean;
}

export const DEFAULT_EFI_LOADER = "\\EFI\\BOOT\\BOOTX64.EFI";

// Everything below ends up in an iPXE script line: no spaces, no '$' (setting expansion), no quotes.
const PORTAL = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const CHAP_USER = /^[A-Za-z0-9._:-]{1,64}$/;
const CHAP_SECRET = /^[A-Za-z0-9._~+/=-]{12,128}$/;
const EFI_LOADER = /^(\\[A-Za-z0-9._-]+)+$/;

/** Validates every field that reaches a script, a DHCP file or Redis; answers the config normalized. */
export function validateBootConfig(c: BootConfig): BootConfig {
  validateName("node", c.node);
  validateName("project", c.project);
  if (c.macs.length === 0) throw new InvalidArgumentError(`node ${c.node}: at least one MAC address is required`);
  const macs = [...new Set(c.macs.map(validateMac))];
  validateIqn("target IQN", c.target.iqn);
  validateIqn("initiator IQN", c.initiatorIqn);
  if (c.target.portals.length === 0) throw new InvalidArgumentError(`node ${c.node}: at least one portal is required`);
  for (const p of c.target.portals) {
    if (!PORTAL.test(p) || Number(p.split(":")[1]) > 65535) throw new InvalidArgumentError(`portal ${JSON.stringify(p)} is not host:port`);
  }
  const lun = c.target.lun === 0 ? 1 : c.target.lun;
  if (!Number.isInteger(lun) || lun < 0 || lun > 255) throw new InvalidArgumentError(`LUN ${lun} is out of range`);
  if (!CHAP_USER.test(c.chap.user)) throw new InvalidArgumentError("CHAP user is required: 1-64 of [A-Za-z0-9._:-]");
  if (!CHAP_SECRET.test(c.chap.secret)) throw new InvalidArgumentError("CHAP secret is required: 12-128 of [A-Za-z0-9._~+/=-]");
  if (c.reverseChap && (!CHAP_USER.test(c.reverseChap.user) || !CHAP_SECRET.test(c.reverseChap.secret))) {
    throw new InvalidArgumentError("reverse CHAP needs a user (1-64 of [A-Za-z0-9._:-]) and a secret (12-128 of [A-Za-z0-9._~+/=-])");
  }
  const efiLoader = c.efiLoader || DEFAULT_EFI_LOADER;
  if (!EFI_LOADER.test(efiLoader)) throw new InvalidArgumentError(`EFI loader ${JSON.stringify(efiLoader)} must look like \\EFI\\BOOT\\BOOTX64.EFI`);
  if (c.metadata) validateMetadata(c.metadata);
  const { binding: _, metadata, ...config } = c;
  return { ...config, macs, target: { ...config.target, lun }, efiLoader,
    ...(metadata && (metadata.hostname || metadata.userData) ? { metadata: { hostname: metadata.hostname, userData: metadata.userData } } : {}) };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** user-data is served as it is; this bounds what one boot config keeps in Redis. */
export const MAX_USER_DATA_BYTES = 64 * 1024;

/** A host name reaches the node's `hostname` and a YAML line: RFC 1123 only. user-data at most 64 KiB. */
export function validateMetadata(m: NodeMetadata): void {
  if (m.hostname && !HOSTNAME.test(m.hostname)) {
    throw new InvalidArgumentError(`host name ${JSON.stringify(m.hostname.slice(0, 80))} is not an RFC 1123 name (letters, digits, '-', dots between labels of 1-63, at most 253)`);
  }
  if (Buffer.byteLength(m.userData, "utf8") > MAX_USER_DATA_BYTES) {
    throw new InvalidArgumentError(`user-data is ${Buffer.byteLength(m.userData, "utf8")} bytes: at most ${MAX_USER_DATA_BYTES}`);
  }
}

/** Everything but the CHAP secret, for logs. */
export function describe(c: BootConfig): Record<string, unknown> {
  return { node: c.node, project: c.project, macs: c.macs, iqn: c.target.iqn, portals: c.target.portals, firmware: c.firmware,
    mutualChap: c.reverseChap !== undefined, hostname: c.metadata?.hostname ?? "", userDataBytes: c.metadata?.userData.length ?? 0 };
}
