import { createHash } from "node:crypto";
import { DataLossError } from "@bmi/errors";

const ZERO = Buffer.alloc(1024 * 1024);

/** True when every byte is zero; drivers skip such chunks so images stay sparse. */
export function isZero(buf: Buffer): boolean {
  for (let off = 0; off < buf.length; off += ZERO.length) {
    const part = buf.subarray(off, Math.min(buf.length, off + ZERO.length));
    if (!part.equals(ZERO.subarray(0, part.length))) return false;
  }
  return true;
}

/** sha256 (hex) of everything `chunks` yields. */
export async function sha256Of(chunks: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Passes `chunks` through and, when they end, throws DATA_LOSS unless they add up to `sizeBytes` with sha256
 * `checksum`. The consumer (a driver writing a temporary image) sees the error before it commits anything.
 */
export async function* verified(chunks: AsyncIterable<Buffer>, sizeBytes: number, checksum: string): AsyncGenerator<Buffer> {
  const hash = createHash("sha256");
  let seen = 0;
  for await (const chunk of chunks) {
    seen += chunk.length;
    if (seen > sizeBytes) throw new DataLossError(`upload: more than the announced ${sizeBytes} bytes`);
    hash.update(chunk);
    yield chunk;
  }
  if (seen !== sizeBytes) throw new DataLossError(`upload: ${seen} bytes received, ${sizeBytes} announced`);
  const actual = hash.digest("hex");
  if (actual !== checksum.toLowerCase()) throw new DataLossError(`upload: sha256 ${actual} does not match ${checksum}`);
}
