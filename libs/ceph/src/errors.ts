import { constants } from "node:os";

/** Thrown by the librados and librbd wrappers: the call's negative return code as a positive errno. */
export class CephError extends Error {
  constructor(readonly op: string, readonly errno: number) {
    super(`${op}: ${errnoName(errno)} (${errno})`);
    this.name = "CephError";
  }
}

export const ERRNO = constants.errno;

function errnoName(errno: number): string {
  return Object.entries(ERRNO).find(([, n]) => n === errno)?.[0] ?? "error";
}

export function check(op: string, rc: number): number {
  if (rc < 0) throw new CephError(op, -rc);
  return rc;
}

/** A NUL-terminated string out of a C buffer. */
export function cstr(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString("utf8", 0, end < 0 ? buf.length : end);
}
