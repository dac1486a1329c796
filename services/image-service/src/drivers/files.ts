import { randomBytes } from "node:crypto";
import { createReadStream, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { open, readFile, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { isZero, sha256Of } from "../bytes";

/** 16 hex digits: short enough for a QEMU node name (31 characters at most), unique enough for temporaries. */
export function newId(): string {
  return randomBytes(8).toString("hex");
}

/** Replaces `file` with `value` as JSON in one step (temporary file in the same directory, fsync, rename). */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${newId()}.tmp`);
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(JSON.stringify(value, null, 1));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/*
 * The disk step's small file operations (a sidecar, a mount point) are synchronous: each is one short system call on
 * a local file system, and a call through libuv's thread pool costs this process about twice the CPU (the hand-over
 * to a pool thread and back; 1,000 disks created and deleted, 64 at a time, 2026-11-30: 0.41-0.73 against 0.67-1.26
 * ms per create, 0.15-0.23 against 0.23-0.30 per delete). Bulk data stays asynchronous, and so do the unlinks of a
 * deleted disk's files, which may wait for their write-back (removeFileInBackground).
 */

/**
 * Writes `value` as JSON to `file`, a name nobody else writes, in one step (a temporary file in the same directory,
 * renamed): a crash leaves the whole file or only the temporary, never part of it. No fsync: for files that only
 * need to survive this process (a crash of the service, not of the machine).
 */
export function writeJsonNew(file: string, value: unknown): void {
  const tmp = `${file}.${newId()}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1), { flag: "wx" });
  try {
    renameSync(tmp, file);
  } catch (err) {
    removeFile(tmp);
    throw err;
  }
}

/** Removes a file if it is there (one unlink; `rm` with `force` looks before it removes). */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    ignoreMissing(err);
  }
}

/**
 * removeFile off the event loop: unlinking a file whose pages are being written back waits for the write-back (ext4
 * truncates the inode's page cache), 1-5 ms for a disk's overlay or sidecar a while after it was written. Done
 * synchronously that blocked every other call: 5.2 s of a 1,000-disk deprovision on 2026-11-30 (0.2 s when the
 * disks were only seconds old, as in the bench's floor).
 */
export function removeFileInBackground(file: string): Promise<void> {
  return unlink(file).catch(ignoreMissing);
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
}

export async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, "utf8")) as unknown;
}

/** Writes `chunks` to a new file, leaving holes where they are all zero; answers the bytes written. */
export async function writeSparse(file: string, chunks: AsyncIterable<Buffer>): Promise<number> {
  const fh = await open(file, "wx");
  let offset = 0;
  try {
    for await (const chunk of chunks) {
      if (!isZero(chunk)) await fh.write(chunk, 0, chunk.length, offset);
      offset += chunk.length;
    }
    await fh.truncate(offset);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return offset;
}

export function readChunks(file: string): AsyncIterable<Buffer> {
  return createReadStream(file, { highWaterMark: 1024 * 1024 });
}

export function sha256File(file: string): Promise<string> {
  return sha256Of(readChunks(file));
}
