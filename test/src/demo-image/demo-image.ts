import { execFile } from "node:child_process";
import { mkdtempSync, openSync, readSync, closeSync, rmSync, truncateSync, copyFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * nasm source of the demo image. tsc does not copy assets, so the compiled builder (test/dist/demo-image/) finds it
 * in the source tree beside it (test/src/demo-image/), which every checkout that can run the tests has.
 */
export const DEMO_IMAGE_SOURCE = path.resolve(__dirname, "..", "..", "src", "demo-image", "demo-image.asm");

/** Marker characters that survive nasm's string syntax, a serial line and a regular expression unescaped. */
const MARKER = /^[A-Za-z0-9._-]{1,63}$/;
const MAGIC = "BMIDEMO1";
const SECTOR = 512;

export interface DemoImageOptions {
  /** Where the image is written. */
  dir: string;
  /** Printed at every boot; identifies the image a node booted. */
  marker: string;
  /** Boot counter stored on the disk; the VM prints it and writes it back incremented. Default 0. */
  counter?: number;
  /** Size of the raw image; a multiple of 512, default 4 MiB (tgtd exports whole sectors). */
  sizeBytes?: number;
  /** File name; default `<marker>.raw`. */
  fileName?: string;
}

/** What the data sector (LBA 1) of a demo image holds. */
export interface DemoData {
  marker: string;
  counter: number;
}

/**
 * Builds a raw demo image with nasm: a boot sector that reads `marker` and `counter` from LBA 1 through int 13h,
 * prints them on COM1, writes counter + 1 back and ends QEMU with exit status 99. Answers the image's path.
 */
export async function buildDemoImage(opts: DemoImageOptions): Promise<string> {
  if (!MARKER.test(opts.marker)) throw new Error(`marker ${JSON.stringify(opts.marker)} must match ${MARKER}`);
  const counter = opts.counter ?? 0;
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffff_ffff) throw new Error(`counter ${counter} is not a uint32`);
  const size = opts.sizeBytes ?? 4 * 1024 * 1024;
  if (size < 2 * SECTOR || size % SECTOR !== 0) throw new Error(`size ${size} must be a multiple of 512, at least 1024`);
  const fileName = opts.fileName ?? `${opts.marker}.raw`;
  if (!MARKER.test(fileName)) throw new Error(`file name ${JSON.stringify(fileName)} must match ${MARKER}`);

  const work = mkdtempSync(path.join(opts.dir, ".nasm-"));
  const out = path.join(opts.dir, fileName);
  try {
    const bin = path.join(work, "demo.bin");
    await run("nasm", ["-f", "bin", `-DMARKER="${opts.marker}"`, `-DCOUNTER=${counter}`, "-o", bin, DEMO_IMAGE_SOURCE]);
    copyFileSync(bin, out);
    truncateSync(out, size);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/** Reads the marker and counter from a raw demo image (or a raw view of a node's disk). */
export function readDemoData(file: string): DemoData {
  const buf = Buffer.alloc(SECTOR);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, SECTOR, SECTOR);
  } finally {
    closeSync(fd);
  }
  return parseDemoData(buf);
}

/** Parses a data sector (LBA 1) of a demo image. */
export function parseDemoData(sector: Buffer): DemoData {
  if (sector.subarray(0, 8).toString("latin1") !== MAGIC) throw new Error("not a demo image (no BMIDEMO1 magic at LBA 1)");
  const end = sector.indexOf(0, 12);
  return { counter: sector.readUInt32LE(8), marker: sector.subarray(12, end < 0 ? 12 + 63 : end).toString("latin1") };
}
