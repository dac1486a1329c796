import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile, rename, rm } from "node:fs/promises";
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
