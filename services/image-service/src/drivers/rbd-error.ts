import { constants } from "node:os";

/** Thrown by the librbd wrappers with the negative return code turned into a positive errno. */
export class RbdError extends Error {
  constructor(readonly op: string, readonly errno: number) {
    super(`${op}: ${errnoName(errno)} (${errno})`);
    this.name = "RbdError";
  }
}

export const ERRNO = constants.errno;

function errnoName(errno: number): string {
  return Object.entries(ERRNO).find(([, n]) => n === errno)?.[0] ?? "error";
}

export function check(op: string, rc: number): number {
  if (rc < 0) throw new RbdError(op, -rc);
  return rc;
}

/** A NUL-terminated string out of a C buffer. */
export function cstr(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString("utf8", 0, end < 0 ? buf.length : end);
}
