import type { CallContext } from "@bmi/grpc";
import type { Backing } from "./target";

/** Where target-service learns what a disk is: only a disk that exists, of a project the caller is in. */
export interface DiskDirectory {
  /** The disk's backing; NOT_FOUND when it does not exist or is another project's. */
  backing(ctx: CallContext, project: string, disk: string): Promise<Backing>;
}

/** Whether a backing a request names is the disk's own (the services' defaults filled in). */
export function sameBacking(a: Backing, b: Backing): boolean {
  if (a.kind === "file" && b.kind === "file") return a.path === b.path;
  if (a.kind === "rbd" && b.kind === "rbd") return a.pool === b.pool && a.image === b.image;
  return false;
}
