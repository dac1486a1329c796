import { createHash } from "node:crypto";
import { InvalidArgumentError } from "@bmi/errors";
import { validateIqn, validateName } from "@bmi/validate";
import type { Backing } from "./target";

/** The naming authority part of every IQN this service makes: iqn.<date>.<domain>. */
export interface IqnAuthority {
  /** yyyy-mm: a month in which the organisation owned `domain`. */
  date: string;
  /** Reversed domain name, e.g. org.example.bmi. */
  domain: string;
}

/** iqn.<yyyy-mm>.<domain>:<project>.<disk>, validated. */
export function targetIqn(auth: IqnAuthority, project: string, disk: string): string {
  return validateIqn("target IQN", `iqn.${auth.date}.${auth.domain}:${project}.${disk}`);
}

/** Matches every IQN this authority hands out, whatever the date: tgtd targets outside it are not ours. */
export function ownsIqn(auth: IqnAuthority, iqn: string): boolean {
  return iqn.startsWith("iqn.") && iqn.slice(12).startsWith(`${auth.domain}:`);
}

// After the authority's ':'. A ':' never occurs in project or disk names, so no target IQN looks like a marker.
const MARKER = "bmi-store:";

/**
 * The IQN of tgtd's store marker: a target with no LUN and no ACL (no initiator sees or opens it) whose name says
 * which target store tgtd's targets were made from. It lives and dies with tgtd's other targets.
 */
export function storeMarkerIqn(auth: IqnAuthority, storeId: string): string {
  return `iqn.${auth.date}.${auth.domain}:${MARKER}${storeId}`;
}

/** The store id a marker IQN names; undefined for every other IQN. */
export function storeMarkerId(auth: IqnAuthority, iqn: string): string | undefined {
  if (!ownsIqn(auth, iqn)) return undefined;
  const name = iqn.slice(iqn.indexOf(":") + 1);
  return name.startsWith(MARKER) ? name.slice(MARKER.length) : undefined;
}

/**
 * The project and disk of one of our target IQNs, given the CHAP user tgtd has bound to it: "a.b.c" may be a/b.c
 * or a.b/c, and only one of them hashes to that user. Undefined when none does.
 */
export function targetNames(auth: IqnAuthority, iqn: string, user: string): { project: string; disk: string } | undefined {
  if (!ownsIqn(auth, iqn)) return undefined;
  const name = iqn.slice(iqn.indexOf(":") + 1);
  for (let i = name.indexOf("."); i > 0; i = name.indexOf(".", i + 1)) {
    const project = name.slice(0, i);
    const disk = name.slice(i + 1);
    if (chapUser(project, disk) === user) return { project, disk };
  }
  return undefined;
}

/** Per-target CHAP user: stable for a project/disk, and it does not reveal either name on the wire. */
export function chapUser(project: string, disk: string): string {
  return `bmi-${createHash("sha256").update(`${project}/${disk}`).digest("hex").slice(0, 20)}`;
}

/** The target's own CHAP user for mutual CHAP (tgtd's outgoing account): the initiator's user and "-t". */
export function reverseChapUser(project: string, disk: string): string {
  return `${chapUser(project, disk)}-t`;
}

/** Our CHAP accounts in tgtd (both directions), so the reconciler can drop stale ones and leave others alone. */
export function isChapUser(user: string): boolean {
  return /^bmi-[0-9a-f]{20}(-t)?$/.test(user);
}

// tgtadm hands parameters to tgtd as "key=value,key=value": a ',' or '=' in a path would split it.
const PATH = /^\/[A-Za-z0-9._+/-]*$/;
// image-service names RBD images "disk~<project>~<name>": '~' is safe for tgtadm and for "pool/image".
const RBD_IMAGE = /^[a-z0-9][a-z0-9._~-]{0,199}$/;

/** Throws INVALID_ARGUMENT unless every field that reaches tgtadm is safe; answers the backing. */
export function validateBacking(b: Backing): Backing {
  if (b.kind === "file") {
    if (!PATH.test(b.path) || b.path.split("/").includes("..")) {
      throw new InvalidArgumentError(`backing path ${JSON.stringify(b.path)} must be absolute, without '..', of [A-Za-z0-9._+/-]`);
    }
    return b;
  }
  validateName("rbd pool", b.pool);
  if (!RBD_IMAGE.test(b.image)) throw new InvalidArgumentError(`rbd image name ${JSON.stringify(b.image)} is invalid`);
  validateName("ceph user", b.user);
  if (!PATH.test(b.cephConf)) throw new InvalidArgumentError(`ceph_conf ${JSON.stringify(b.cephConf)} must be an absolute path`);
  return b;
}
