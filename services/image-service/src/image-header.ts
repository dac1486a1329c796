import { InvalidArgumentError } from "@bmi/errors";

/**
 * How much of an image is read before anything else sees it: qemu reads a qcow2 image's header extensions up to
 * the end of its first cluster, and it opens no image whose clusters are larger than 2 MiB.
 */
export const HEADER_BYTES = 2 << 20;

const QCOW_MAGIC = 0x514649fb; // "QFI\xfb"
const MAX_CLUSTER_BITS = 21;
// Incompatible features qemu reads without opening anything else: dirty, compression type, extended L2 entries.
// The rest are the corrupt bit, the external data file and bits no qemu knows.
const HARMLESS_INCOMPATIBLE = 0b1_1001n;
const EXTERNAL_DATA_FILE_BIT = 0b100n;
const RAW_EXTERNAL_DATA_BIT = 0b10n;
const EXT_END = 0;
const EXT_DATA_FILE = 0x44415441;
const EXT_CRYPTO = 0x0537be77;

/** Image formats qemu knows by their first bytes (docs/interop and block/*.c probes), none of which BMI accepts. */
const SIGNATURES: Array<[string, (b: Buffer) => boolean]> = [
  ["qcow", (b) => b.length >= 8 && b.readUInt32BE(0) === QCOW_MAGIC && b.readUInt32BE(4) === 1],
  ["qed", (b) => starts(b, "QED\0")],
  ["vmdk", (b) => starts(b, "KDMV") || starts(b, "COWD") || starts(b, "# Disk DescriptorFile")],
  ["vdi", (b) => b.length >= 68 && b.readUInt32LE(64) === 0xbeda107f],
  ["vhdx", (b) => starts(b, "vhdxfile")],
  ["vpc", (b) => starts(b, "conectix")],
  ["luks", (b) => starts(b, "LUKS\xba\xbe")],
  ["parallels", (b) => starts(b, "WithoutFreeSpace") || starts(b, "WithouFreSpacExt")],
  ["bochs", (b) => starts(b, "Bochs Virtual HD Image")],
  ["cloop", (b) => starts(b, "#!/bin/sh\n#V2.0 Format\n")],
];

/** "qcow2", the name of another image format the bytes announce, or undefined for plain data (raw). */
export function detectFormat(head: Buffer): string | undefined {
  if (head.length >= 8 && head.readUInt32BE(0) === QCOW_MAGIC && head.readUInt32BE(4) >= 2) return "qcow2";
  return SIGNATURES.find(([, matches]) => matches(head))?.[0];
}

/**
 * The virtual size of a qcow2 image whose content lives in the image alone. Throws INVALID_ARGUMENT for anything
 * that would make qemu open another file or protocol (a backing file, an external data file), for encryption,
 * and for headers qemu would reject or read differently. `head` is the image's first HEADER_BYTES (or all of it).
 */
export function qcow2VirtualSize(head: Buffer): number {
  const refuse = (why: string): never => { throw new InvalidArgumentError(`qcow2 image refused: ${why}`); };
  if (head.length < 72 || head.readUInt32BE(0) !== QCOW_MAGIC) refuse("no qcow2 header");
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) refuse(`version ${version} is not 2 or 3`);
  if (head.readBigUInt64BE(8) !== 0n || head.readUInt32BE(16) !== 0) refuse("it names a backing file");
  const clusterBits = head.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > MAX_CLUSTER_BITS) refuse(`cluster_bits ${clusterBits} is outside 9..${MAX_CLUSTER_BITS}`);
  const size = head.readBigUInt64BE(24);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) refuse(`virtual size ${size} is too large`);
  if (head.readUInt32BE(32) !== 0) refuse("it is encrypted");
  let headerLength = 72;
  if (version === 3) {
    if (head.length < 104) refuse("truncated version 3 header");
    const incompatible = head.readBigUInt64BE(72);
    if ((incompatible & EXTERNAL_DATA_FILE_BIT) !== 0n || (head.readBigUInt64BE(88) & RAW_EXTERNAL_DATA_BIT) !== 0n) {
      refuse("it uses an external data file");
    }
    if ((incompatible & ~HARMLESS_INCOMPATIBLE) !== 0n) refuse(`incompatible features 0x${incompatible.toString(16)}`);
    headerLength = head.readUInt32BE(100);
    if (headerLength < 104 || headerLength % 8 !== 0) refuse(`header_length ${headerLength}`);
  }
  checkExtensions(head, headerLength, Math.min(2 ** clusterBits, head.length), refuse);
  return Number(size);
}

/** qemu reads extensions up to the first cluster's end; past the end of a short file it reads zeros (the end). */
function checkExtensions(head: Buffer, from: number, end: number, refuse: (why: string) => never): void {
  for (let off = from; off + 8 <= end;) {
    const type = head.readUInt32BE(off);
    const length = head.readUInt32BE(off + 4);
    if (type === EXT_END) return;
    if (type === EXT_DATA_FILE) refuse("it names an external data file");
    if (type === EXT_CRYPTO) refuse("it is encrypted");
    if (off + 8 + length > end) refuse("a header extension runs past the first cluster or the end of the file");
    off += 8 + Math.ceil(length / 8) * 8;
  }
}

function starts(b: Buffer, magic: string): boolean {
  const m = Buffer.from(magic, "latin1");
  return b.length >= m.length && b.subarray(0, m.length).equals(m);
}
