import { randomBytes } from "node:crypto";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError, ResourceExhaustedError, UnavailableError } from "@bmi/errors";
import { isName } from "@bmi/validate";
import type { Ref } from "../../storage";
import { CephError, ERRNO } from "./rbd";

/**
 * How BMI names things in its pool. '~' never occurs in a BMI name, so "img~project~name" decodes without
 * ambiguity and `rbd ls` stays readable. Images in the pool that match none of these are not BMI's and are left
 * alone.
 *   img~P~N   an image; its snapshot "base" is what disks are cloned from (clone format 2: no protection)
 *   disk~P~N  a node's disk, a clone of img~...@base
 *   tmp~HEX   an image or snapshot being built or removed; removed at start-up if a crash left it
 *   tmp~OWNER~HEX  the same, made by the image-service instance OWNER when several share the pool: removed only once
 *             OWNER is dead (coordination/presence.ts), never while it may still be working on it
 */
export const BASE_SNAPSHOT = "base";
export const META_KEY = "bmi.image";
const TMP = "tmp~";

export function imageName(ref: Ref): string {
  return `img~${ref.project}~${ref.name}`;
}

export function diskName(ref: Ref): string {
  return `disk~${ref.project}~${ref.name}`;
}

/** A fresh temporary name; with `owner` (an instance id, lower-case hex) the name says whose work it is. */
export function tmpName(owner?: string): string {
  return `${TMP}${owner ? `${owner}~` : ""}${randomBytes(8).toString("hex")}`;
}

/** The instance a temporary belongs to; undefined for one without an owner (a single instance's, or older). */
export function tmpOwner(name: string): string | undefined {
  const parts = name.split("~");
  return parts.length === 3 && /^[0-9a-f]{1,32}$/.test(parts[1] ?? "") ? parts[1] : undefined;
}

export function isTmp(name: string): boolean {
  return name.startsWith(TMP);
}

/** The kind and ref an RBD name stands for, or undefined for names that are not BMI's. */
export function parseName(rbdName: string): { kind: "image" | "disk"; ref: Ref } | undefined {
  const [kind, project, name, ...rest] = rbdName.split("~");
  if (rest.length > 0 || !project || !name || !isName(project) || !isName(name)) return undefined;
  if (kind === "img") return { kind: "image", ref: { project, name } };
  if (kind === "disk") return { kind: "disk", ref: { project, name } };
  return undefined;
}

/** What image metadata (key bmi.image) holds; the name is the RBD name and the size the image's own. */
export interface CephImageMeta {
  checksum: string;
  created: string;
  public: boolean;
  parent: string;
  sourceDisk: string;
}

// Linux's errno for a client the cluster blocklisted (Ceph's EBLOCKLISTED); Node's errno table lacks it.
const ESHUTDOWN = 108;

/**
 * librbd's and librados' errno as the domain error a caller can act on, the Ceph translator: missing, existing, in
 * use; the pool full or over its quota (RESOURCE_EXHAUSTED); BMI's Ceph user refused (FAILED_PRECONDITION: its
 * capabilities); the cluster not answering or this client blocklisted (UNAVAILABLE: a retry, or the restart that
 * reconnects, can succeed). Anything else is returned as it is.
 */
export function translateCephError(err: unknown, what: string): unknown {
  if (!(err instanceof CephError)) return err;
  switch (err.errno) {
    case ERRNO.ENOENT: return new NotFoundError(`${what} not found`, { cause: err });
    case ERRNO.EEXIST: return new AlreadyExistsError(`${what} already exists`, { cause: err });
    case ERRNO.EBUSY: return new FailedPreconditionError(`${what} is in use`, { cause: err });
    case ERRNO.ENOTEMPTY: return new FailedPreconditionError(`${what} has dependents`, { cause: err });
    case ERRNO.ENOSPC: case ERRNO.EDQUOT:
      return new ResourceExhaustedError(`${what}: the Ceph pool is full or over its quota (${err.message})`, { cause: err });
    case ERRNO.EPERM: case ERRNO.EACCES:
      return new FailedPreconditionError(`${what}: Ceph refused BMI's user (${err.message}); check its capabilities`, { cause: err });
    case ERRNO.ETIMEDOUT: case ERRNO.ENOTCONN: case ERRNO.ECONNREFUSED: case ESHUTDOWN: case ERRNO.EHOSTUNREACH:
      return new UnavailableError(`Ceph did not answer (${err.message})`, { cause: err });
    default: return err;
  }
}

/** Runs `fn`, translating librbd errors about `what` into domain errors. */
export async function mapped<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translateCephError(err, what);
  }
}
