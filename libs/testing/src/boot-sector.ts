import { execFile } from "node:child_process";
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** nasm sources of the marker boot sector and the marker UEFI loader (libs/testing/assets, beside dist/). */
export const BOOT_SECTOR_SOURCE = path.resolve(__dirname, "..", "assets", "marker-boot-sector.asm");
export const EFI_LOADER_SOURCE = path.resolve(__dirname, "..", "assets", "marker-efi.asm");

const SECTOR = 512;
const PART_START = 2048; // first partition at 1 MiB, as partitioning tools place it
const PART_SECTORS = 32768; // 16 MiB of FAT16: enough clusters (> 4085) that every FAT driver calls it FAT16
const FAT_SECTORS = 128;
const ROOT_ENTRIES = 512;

/**
 * Builds a raw disk image that boots under BIOS and UEFI alike and answers its path. Sector 0 is the marker boot
 * sector (prints `${marker} OK (booted from iSCSI)` and "iBFT: present|absent", exits QEMU with 99) with an MBR
 * partition table; partition 1 is an EFI system partition (FAT16) holding \EFI\BOOT\BOOTX64.EFI, which prints
 * the same marker. 17 MiB: iPXE's BIOS int13 guesses a 255x63 geometry, and a disk under ~8 MB would have zero
 * cylinders and fail every read with "Input/output error".
 */
export async function buildBootDisk(opts: { dir: string; marker: string }): Promise<string> {
  if (!/^[A-Za-z0-9._-]{1,60}$/.test(opts.marker)) throw new Error(`marker ${opts.marker} must be [A-Za-z0-9._-]`);
  const asm = async (source: string, out: string) => {
    await run("nasm", ["-f", "bin", `-DMARK="${opts.marker}"`, "-o", out, source]);
    return readFileSync(out);
  };
  const sector = await asm(BOOT_SECTOR_SOURCE, path.join(opts.dir, `${opts.marker}.bin`));
  const loader = await asm(EFI_LOADER_SOURCE, path.join(opts.dir, `${opts.marker}.efi`));
  if (sector.subarray(446, 510).some((b) => b !== 0)) throw new Error("boot sector code overlaps the partition table");
  const mbr = Buffer.alloc(SECTOR);
  sector.copy(mbr, 0, 0, 446);
  // Partition 1: active, CHS fields saturated (LBA only), type 0xEF (EFI system partition).
  mbr.set([0x80, 0xfe, 0xff, 0xff, 0xef, 0xfe, 0xff, 0xff], 446);
  mbr.writeUInt32LE(PART_START, 454);
  mbr.writeUInt32LE(PART_SECTORS, 458);
  mbr.writeUInt16LE(0xaa55, 510);
  // Sparse: only the MBR and the used start of the volume are written.
  const file = path.join(opts.dir, `${opts.marker}.raw`);
  const fd = openSync(file, "w");
  try {
    writeSync(fd, mbr, 0, SECTOR, 0);
    const vol = fat16(loader);
    writeSync(fd, vol, 0, vol.length, PART_START * SECTOR);
    ftruncateSync(fd, (PART_START + PART_SECTORS) * SECTOR);
  } finally {
    closeSync(fd);
  }
  return file;
}

/** The line the boot sector (BIOS) and the loader (UEFI) print once they run. */
export function markerPattern(marker: string): RegExp {
  return new RegExp(`${marker.replace(/[.]/g, "\\.")} OK \\(booted from iSCSI\\)`);
}

/** The used start of a FAT16 volume holding one file, \EFI\BOOT\BOOTX64.EFI; one sector per cluster. */
function fat16(loader: Buffer): Buffer {
  const rootSectors = (ROOT_ENTRIES * 32) / SECTOR;
  const dataStart = 1 + 2 * FAT_SECTORS + rootSectors;
  const vol = Buffer.alloc((dataStart + 2 + Math.ceil(loader.length / SECTOR)) * SECTOR);
  const boot = vol.subarray(0, SECTOR);
  boot.set([0xeb, 0x3c, 0x90]);
  boot.write("BMI     ", 3, "latin1");
  boot.writeUInt16LE(SECTOR, 11);
  boot[13] = 1; // sectors per cluster
  boot.writeUInt16LE(1, 14); // reserved sectors
  boot[16] = 2; // FATs
  boot.writeUInt16LE(ROOT_ENTRIES, 17);
  boot.writeUInt16LE(PART_SECTORS, 19);
  boot[21] = 0xf8; // fixed disk
  boot.writeUInt16LE(FAT_SECTORS, 22);
  boot.writeUInt16LE(63, 24);
  boot.writeUInt16LE(255, 26);
  boot.writeUInt32LE(PART_START, 28); // hidden sectors
  boot[36] = 0x80;
  boot[38] = 0x29;
  boot.writeUInt32LE(0x20260101, 39);
  boot.write("BMI-EFI    FAT16   ", 43, "latin1");
  boot.writeUInt16LE(0xaa55, 510);
  // Clusters: 2 = \EFI, 3 = \EFI\BOOT, 4.. = BOOTX64.EFI.
  const fileClusters = Math.ceil(loader.length / SECTOR);
  const chain = [0xfff8, 0xffff, 0xffff, 0xffff, ...Array.from({ length: fileClusters }, (_, i) => (i === fileClusters - 1 ? 0xffff : 5 + i))];
  for (let f = 0; f < 2; f++) chain.forEach((v, i) => vol.writeUInt16LE(v, (1 + f * FAT_SECTORS) * SECTOR + i * 2));
  const cluster = (n: number) => (dataStart + n - 2) * SECTOR;
  dirEntry(vol, (1 + 2 * FAT_SECTORS) * SECTOR, "EFI        ", 0x10, 2, 0);
  dirEntry(vol, cluster(2), ".          ", 0x10, 2, 0);
  dirEntry(vol, cluster(2) + 32, "..         ", 0x10, 0, 0);
  dirEntry(vol, cluster(2) + 64, "BOOT       ", 0x10, 3, 0);
  dirEntry(vol, cluster(3), ".          ", 0x10, 3, 0);
  dirEntry(vol, cluster(3) + 32, "..         ", 0x10, 2, 0);
  dirEntry(vol, cluster(3) + 64, "BOOTX64 EFI", 0x20, 4, loader.length);
  loader.copy(vol, cluster(4));
  return vol;
}

function dirEntry(vol: Buffer, at: number, name: string, attr: number, firstCluster: number, size: number): void {
  vol.write(name, at, "latin1");
  vol[at + 11] = attr;
  vol.writeUInt16LE(0x0021, at + 16); // created 1980-01-01
  vol.writeUInt16LE(0x0021, at + 24); // written 1980-01-01
  vol.writeUInt16LE(firstCluster, at + 26);
  vol.writeUInt32LE(size, at + 28);
}
