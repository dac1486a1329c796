import { InvalidArgumentError } from "@bmi/errors";
import { HEADER_BYTES, detectFormat, qcow2VirtualSize } from "./image-header";
import type { ImageData, ImageFormat } from "./storage";

/** What an uploaded or imported image may be. */
export interface IntakeLimits {
  /** Largest virtual size, and largest upload, in bytes. */
  maxVirtualSize: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = { maxVirtualSize: 2 * 1024 ** 4 };

/** Bytes offered as a new image: `format` as the caller declared it, undefined to have it detected. */
export interface OfferedImage {
  format: ImageFormat | undefined;
  sizeBytes: number;
  chunks: AsyncIterable<Buffer>;
  checksum?: string;
}

/**
 * Reads the first bytes of an offered image and decides what it is before any byte reaches storage or qemu:
 * raw (plain data, never interpreted), or qcow2 whose content lives in the image alone. Everything else is
 * INVALID_ARGUMENT: other formats (qemu would follow a vmdk's extent files, for one), qcow2 images naming a backing
 * or data file (a member's upload once read a host file through one), a declared format the bytes contradict, and
 * sizes over the limit. The answer yields the same bytes, header included.
 */
export async function inspectImage(offered: OfferedImage, limits: IntakeLimits): Promise<ImageData> {
  capped("upload", offered.sizeBytes, limits);
  const it = offered.chunks[Symbol.asyncIterator]();
  try {
    const parts = await readHead(it, HEADER_BYTES);
    const head = Buffer.concat(parts);
    const format = checkFormat(offered.format, detectFormat(head));
    const virtualSize = format === "qcow2" ? qcow2VirtualSize(head) : offered.sizeBytes;
    capped("virtual", virtualSize, limits);
    const data: ImageData = { format, sizeBytes: offered.sizeBytes, virtualSize, chunks: prefixed(parts, it) };
    return offered.checksum === undefined ? data : { ...data, checksum: offered.checksum };
  } catch (err) {
    await it.return?.();
    throw err;
  }
}

function checkFormat(declared: ImageFormat | undefined, detected: string | undefined): ImageFormat {
  const actual = detected ?? "raw";
  if (actual !== "raw" && actual !== "qcow2") throw new InvalidArgumentError(`image format ${actual} is not accepted (raw or qcow2 only)`);
  if (declared !== undefined && declared !== actual) {
    throw new InvalidArgumentError(`image declared ${declared} but its data is ${actual === "raw" ? "not a qcow2 image" : "a qcow2 image"}`);
  }
  return actual;
}

function capped(what: "upload" | "virtual", bytes: number, limits: IntakeLimits): void {
  if (bytes > limits.maxVirtualSize) {
    throw new InvalidArgumentError(`${what} size ${bytes} bytes is over the limit of ${limits.maxVirtualSize} (BMI_IMAGE_MAX_VIRTUAL_SIZE)`);
  }
}

/** The first chunks of the stream, `want` bytes at least or all of it when it is shorter. */
async function readHead(it: AsyncIterator<Buffer>, want: number): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < want) {
    const r = await it.next();
    if (r.done) break;
    parts.push(r.value);
    have += r.value.length;
  }
  return parts;
}

/** `head`, then the rest of `it`; stopping early stops `it` too (the upload's stream, the import's file). */
async function* prefixed(head: Buffer[], it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  } finally {
    await it.return?.();
  }
}
