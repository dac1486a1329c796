import { createHash } from "node:crypto";
import { isZero, sha256Of } from "../../bytes";
import type { RbdImage, RbdPool } from "./rbd";

const CHUNK = 4 * 1024 * 1024; // one RADOS object of a default RBD image

/**
 * Writes `chunks` into `image` from offset 0, skipping all-zero chunks so the image stays thin; answers the sha256
 * of everything written (holes included). One write is in flight while the next
 * chunk arrives.
 */
export async function fillImage(image: RbdImage, chunks: AsyncIterable<Buffer>): Promise<{ bytes: number; checksum: string }> {
  const hash = createHash("sha256");
  let offset = 0;
  let pending: Promise<void> | undefined;
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      if (!isZero(chunk)) {
        await pending;
        pending = image.write(offset, chunk);
        pending.catch(() => undefined); // awaited below; this only keeps a failure from counting as unhandled
      }
      offset += chunk.length;
    }
    await pending;
  } catch (err) {
    await pending?.catch(() => undefined); // librbd must be done with the buffer before the image closes
    throw err;
  }
  return { bytes: offset, checksum: hash.digest("hex") };
}

/** The content of image `name` (at `snapshot`), in order; the image is open only while iterating. */
export async function* readImage(pool: RbdPool, name: string, snapshot: string | undefined): AsyncGenerator<Buffer> {
  const image = await pool.open(name, { readOnly: true, ...(snapshot ? { snapshot } : {}) });
  try {
    const size = await image.size();
    for (let offset = 0; offset < size; offset += CHUNK) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - offset));
      const n = await image.read(offset, buf);
      if (n < buf.length) buf.fill(0, n); // a read past the written end of a sparse object
      yield buf;
    }
  } finally {
    await image.close();
  }
}

export function hashImage(pool: RbdPool, name: string, snapshot?: string): Promise<string> {
  return sha256Of(readImage(pool, name, snapshot));
}
