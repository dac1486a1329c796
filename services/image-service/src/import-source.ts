import { constants, type Stats } from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { InvalidArgumentError, NotFoundError } from "@bmi/errors";
import type { ImportSource } from "./storage";

// Ceph's own names are wider than BMI's (capitals, '~', '+'), but never '/', a
// NUL or whitespace; file paths are absolute and normalized, so no '..' (and qemu-img never sees them: see below).
const CEPH_NAME = /^[A-Za-z0-9._~+-]{1,96}$/;

/** Throws INVALID_ARGUMENT for a source that must not reach librbd or the file system. */
export function validateSource(source: ImportSource): void {
  if (source.kind === "ceph") {
    for (const [what, v, optional] of [["pool", source.pool, false], ["image", source.image, false], ["snapshot", source.snapshot, true]] as const) {
      if (!(optional && v === "") && !CEPH_NAME.test(v)) throw new InvalidArgumentError(`Ceph ${what} name ${JSON.stringify(v)} is invalid`);
    }
  } else if (!path.isAbsolute(source.path) || path.normalize(source.path) !== source.path || /[\0\n]/.test(source.path)) {
    throw new InvalidArgumentError(`file_path ${JSON.stringify(source.path)} must be an absolute, normalized path`);
  }
}

/** A server-side file opened for import; close it whatever happens to the import. */
export interface ImportFile {
  sizeBytes: number;
  chunks: AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/**
 * Opens a regular file for import. The service reads it itself (one open, never by path again), so qemu never
 * sees an admin's path and what is inspected is what is stored. Anything else (a FIFO, a device, a directory) is
 * refused before it is opened; should the path change in between, O_NONBLOCK keeps a FIFO from hanging the open,
 * and the check on the open file refuses it.
 */
export async function openImportFile(file: string): Promise<ImportFile> {
  const refuseOdd = (st: Stats) => {
    if (!st.isFile()) throw new InvalidArgumentError(`file ${file} is not a regular file`);
  };
  refuseOdd(await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new NotFoundError(`file ${file} not found`);
    throw new InvalidArgumentError(`file ${file} cannot be read: ${err.code ?? err.message}`);
  }));
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch((err: NodeJS.ErrnoException) => {
    throw new InvalidArgumentError(`file ${file} cannot be read: ${err.code ?? err.message}`);
  });
  try {
    const st = await fh.stat();
    refuseOdd(st);
    return { sizeBytes: st.size, chunks: fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false }), close: () => fh.close() };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
