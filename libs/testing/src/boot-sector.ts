import { execFile } from "node:child_process";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** nasm source of the marker boot sector (libs/testing/assets, beside dist/). */
export const BOOT_SECTOR_SOURCE = path.resolve(__dirname, "..", "assets", "marker-boot-sector.asm");

/**
 * Builds a sparse raw disk image (at least 16 MiB) whose first sector prints `${marker} OK (booted from iSCSI)` and an
 * "iBFT: present|absent" line to COM1, then ends QEMU with status 99. Answers the image's path.
 */
export async function buildBootDisk(opts: { dir: string; marker: string; sizeBytes?: number }): Promise<string> {
  if (!/^[A-Za-z0-9._-]{1,60}$/.test(opts.marker)) throw new Error(`marker ${opts.marker} must be [A-Za-z0-9._-]`);
  const sector = path.join(opts.dir, `${opts.marker}.bin`);
  await run("nasm", ["-f", "bin", `-DMARK="${opts.marker}"`, "-o", sector, BOOT_SECTOR_SOURCE]);
  const disk = path.join(opts.dir, `${opts.marker}.raw`);
  writeFileSync(disk, readFileSync(sector));
  // iPXE's int13 reads the MBR by CHS with a guessed 255x63 geometry: a disk under 255*63 sectors (~8 MB) has
  // zero cylinders and every read fails with "Input/output error".
  truncateSync(disk, Math.max(opts.sizeBytes ?? 0, 16 * 1024 * 1024));
  return disk;
}

/** The line the boot sector prints once it runs. */
export function markerPattern(marker: string): RegExp {
  return new RegExp(`${marker.replace(/[.]/g, "\\.")} OK \\(booted from iSCSI\\)`);
}
