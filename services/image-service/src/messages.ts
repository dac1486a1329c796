import { InvalidArgumentError } from "@bmi/errors";
import { Backing } from "@bmi/proto/bmi/common/v1/common";
import { Disk, Image, ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import type { ImageInfo } from "./catalog";
import type { DiskRecord, ImageFormat as Format } from "./storage";

/** Domain records to protobuf messages, and back for the few enums. */
export function toImage(i: ImageInfo): Image {
  return Image.fromPartial({
    name: i.name, project: i.project, sizeBytes: i.sizeBytes, checksum: i.checksum, parent: i.parent,
    created: i.created, public: i.public, diskCount: i.diskCount, snapshotCount: i.snapshotCount, sourceDisk: i.sourceDisk,
    backend: i.backend,
  });
}

export function toDisk(d: DiskRecord): Disk {
  const b = d.backing;
  const backing = b.kind === "file"
    ? Backing.fromPartial({ file: { path: b.path } })
    : Backing.fromPartial({ rbd: { pool: b.pool, image: b.image, cephConf: b.cephConf, user: b.user } });
  return Disk.fromPartial({
    name: d.name, project: d.project, image: d.image, created: d.created, backing, sizeBytes: d.sizeBytes,
    backend: b.kind === "file" ? "local" : `ceph:${b.pool}`,
  });
}

/** UNSPECIFIED means "find out" where the server can (imports) and raw where it cannot (uploads). */
export function fromFormat(format: ImageFormat): Format | undefined {
  switch (format) {
    case ImageFormat.IMAGE_FORMAT_UNSPECIFIED: return undefined;
    case ImageFormat.IMAGE_FORMAT_RAW: return "raw";
    case ImageFormat.IMAGE_FORMAT_QCOW2: return "qcow2";
    default: throw new InvalidArgumentError(`unknown image format ${String(format)}`);
  }
}

const MAX_CHUNK = 1024 * 1024;

/** Splits chunks to at most 1 MiB: gRPC clients refuse messages over 4 MiB by default. */
export async function* rechunk(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    for (let off = 0; off < chunk.length; off += MAX_CHUNK) yield chunk.subarray(off, off + MAX_CHUNK);
  }
}
