import path from "node:path";
import { InvalidArgumentError } from "@bmi/errors";
import type { ImportSource } from "./storage";

// Ceph's own names are wider than BMI's (capitals, '~', '+'), but never '/', a
// NUL or whitespace; file paths are absolute and normalized, so no '..' and nothing qemu-img reads as an option.
const CEPH_NAME = /^[A-Za-z0-9._~+-]{1,96}$/;

/** Throws INVALID_ARGUMENT for a source that must not reach librbd or qemu-img. */
export function validateSource(source: ImportSource): void {
  if (source.kind === "ceph") {
    for (const [what, v, optional] of [["pool", source.pool, false], ["image", source.image, false], ["snapshot", source.snapshot, true]] as const) {
      if (!(optional && v === "") && !CEPH_NAME.test(v)) throw new InvalidArgumentError(`Ceph ${what} name ${JSON.stringify(v)} is invalid`);
    }
  } else if (!path.isAbsolute(source.path) || path.normalize(source.path) !== source.path || /[\0\n]/.test(source.path)) {
    throw new InvalidArgumentError(`file_path ${JSON.stringify(source.path)} must be an absolute, normalized path`);
  }
}
