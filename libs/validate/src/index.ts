import { isIP } from "node:net";
import { InvalidArgumentError } from "@bmi/errors";

// Image, disk, project and node names reach Ceph, file paths, IQNs and command lines: a closed alphabet keeps
// every one of them safe without quoting.
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;
// RFC 3720 iqn. form; eui./naa. are rarely used for initiators and are not accepted.
const IQN = /^iqn\.\d{4}-\d{2}\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[a-z0-9.:_-]+)?$/;

/** Throws INVALID_ARGUMENT unless `value` is a BMI name; returns it. `kind` names the field in the message. */
export function validateName(kind: string, value: string): string {
  if (typeof value !== "string" || !NAME.test(value) || value.includes("..")) {
    throw new InvalidArgumentError(
      `${kind} name ${JSON.stringify(value)} is invalid: use lowercase letters, digits, '.', '_', '-', ` +
        `at most 63 characters, starting with a letter or digit`,
    );
  }
  return value;
}

/** True when `value` is a valid BMI name. */
export function isName(value: string): boolean {
  return NAME.test(value) && !value.includes("..");
}

/** Throws INVALID_ARGUMENT unless `value` is a MAC address (colon or dash separated); returns it normalized. */
export function validateMac(value: string): string {
  if (typeof value !== "string" || !MAC.test(value)) {
    throw new InvalidArgumentError(`MAC address ${JSON.stringify(value)} is invalid: expected aa:bb:cc:dd:ee:ff`);
  }
  return normalizeMac(value);
}

/** Lowercase, colon separated. Does not validate. */
export function normalizeMac(value: string): string {
  return value.toLowerCase().replace(/-/g, ":");
}

/** iPXE's ${mac:hexhyp}: lowercase, dash separated. */
export function macHexHyp(mac: string): string {
  return normalizeMac(mac).replace(/:/g, "-");
}

/** Throws INVALID_ARGUMENT unless `value` is an iqn.-form iSCSI qualified name (at most 223 bytes). */
export function validateIqn(kind: string, value: string): string {
  if (typeof value !== "string" || value.length > 223 || !IQN.test(value)) {
    throw new InvalidArgumentError(`${kind} ${JSON.stringify(value)} is not a valid IQN (iqn.yyyy-mm.domain:name)`);
  }
  return value;
}

/**
 * An IP address as a socket reports its peer and as tgtd compares it: an IPv4-mapped IPv6 address (how a dual-stack
 * listener sees an IPv4 peer) as plain IPv4, IPv6 in lower case. Does not validate.
 */
export function plainAddress(value: string): string {
  return value.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "").toLowerCase();
}

/** Throws INVALID_ARGUMENT unless `value` is an IPv4 or IPv6 address (no port, no name); returns it plain. */
export function validateAddress(kind: string, value: string): string {
  const plain = typeof value === "string" ? plainAddress(value) : "";
  if (isIP(plain) === 0) throw new InvalidArgumentError(`${kind} ${JSON.stringify(String(value).slice(0, 64))} is not an IP address`);
  return plain;
}

/** Throws INVALID_ARGUMENT when a required field is empty. */
export function required(kind: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new InvalidArgumentError(`${kind} is required`);
  return value;
}
