import { DeadlineExceededError, InvalidArgumentError } from "@bmi/errors";
import { batchOf, type Handlers } from "@bmi/grpc";
import {
  CopyImageResponse, CreateDiskResponse, CreateSnapshotResponse, DeleteDiskResponse, DeleteImageResponse,
  DownloadImageResponse, GetDiskResponse, GetImageResponse, ImportImageResponse, ListDisksResponse,
  ListImagesResponse, ListSnapshotsResponse, RenameImageResponse, SetImageVisibilityResponse, UploadImageResponse,
  type ImageServiceService, type UploadImageRequest,
} from "@bmi/proto/bmi/image/v1/image";
import type { DiskLibrary } from "./disks";
import type { ImageLibrary, UploadHeader } from "./library";
import { fromFormat, rechunk, toDisk, toImage } from "./messages";
import { quotaHandlers } from "./quota-handlers";
import type { ImportSource } from "./storage";

/** bmi.image.v1.ImageService: protobuf in, domain call, protobuf out. Nothing else happens here. */
export function imageHandlers(images: ImageLibrary, disks: DiskLibrary): Handlers<typeof ImageServiceService> {
  const single: Omit<Handlers<typeof ImageServiceService>, "createDisks" | "getDisks" | "deleteDisks"> = {
    ...quotaHandlers(images),
    async listImages(req, ctx) {
      const page = images.listImages(ctx.caller, req);
      return ListImagesResponse.fromPartial({ images: page.items.map(toImage), nextPageToken: page.nextPageToken });
    },
    async getImage(req, ctx) {
      return GetImageResponse.fromPartial({ image: toImage(await images.getImageNow(ctx.caller, req)) });
    },
    async importImage(req, ctx) {
      const format = fromFormat(req.format);
      const source: ImportSource | undefined = req.ceph
        ? { kind: "ceph", pool: req.ceph.pool, image: req.ceph.image, snapshot: req.ceph.snapshot }
        : req.filePath ? { kind: "file", path: req.filePath, format } : undefined;
      if (!source) throw new InvalidArgumentError("import needs a source: ceph or file_path");
      return ImportImageResponse.fromPartial({ image: toImage(await images.importImage(ctx.caller, req, source, req.public)) });
    },
    async uploadImage(reqs, ctx) {
      const it = reqs[Symbol.asyncIterator]();
      const first = await it.next();
      const h = first.done ? undefined : first.value.header;
      if (!h) throw new InvalidArgumentError("the first upload message must be the header");
      const header: UploadHeader = { ...h, format: fromFormat(h.format) ?? "raw" };
      const image = await images.uploadImage(ctx.caller, header, chunksOf(it, ctx.signal));
      return UploadImageResponse.fromPartial({ image: toImage(image) });
    },
    async *downloadImage(req, ctx) {
      await images.seen("image", req);
      const { image, chunks } = images.downloadImage(ctx.caller, req, ctx.signal);
      yield DownloadImageResponse.fromPartial({ header: { sizeBytes: image.sizeBytes, checksum: image.checksum } });
      for await (const chunk of rechunk(chunks)) yield DownloadImageResponse.fromPartial({ chunk });
    },
    async copyImage(req, ctx) {
      const target = { project: req.newProject || req.project, name: req.newName };
      return CopyImageResponse.fromPartial({ image: toImage(await images.copyImage(ctx.caller, req, target)) });
    },
    async renameImage(req, ctx) {
      return RenameImageResponse.fromPartial({ image: toImage(await images.renameImage(ctx.caller, req, req.newName)) });
    },
    async deleteImage(req, ctx) {
      await images.deleteImage(ctx.caller, req);
      return DeleteImageResponse.fromPartial({});
    },
    async setImageVisibility(req, ctx) {
      return SetImageVisibilityResponse.fromPartial({ image: toImage(await images.setVisibility(ctx.caller, req, req.public)) });
    },
    async createDisk(req, ctx) {
      const { disk, created } = await disks.createDisk(ctx.caller, req, req.image);
      return CreateDiskResponse.fromPartial({ disk: toDisk(disk), created });
    },
    async getDisk(req, ctx) {
      return GetDiskResponse.fromPartial({ disk: toDisk(await disks.getDiskNow(ctx.caller, req)) });
    },
    async listDisks(req, ctx) {
      return ListDisksResponse.fromPartial({ disks: disks.listDisks(ctx.caller, req.project).map(toDisk) });
    },
    async deleteDisk(req, ctx) {
      await disks.deleteDisk(ctx.caller, req);
      return DeleteDiskResponse.fromPartial({});
    },
    async createSnapshot(req, ctx) {
      const image = await disks.createSnapshot(ctx.caller, { project: req.project, name: req.disk }, req.name);
      return CreateSnapshotResponse.fromPartial({ image: toImage(image) });
    },
    async listSnapshots(req, ctx) {
      return ListSnapshotsResponse.fromPartial({ snapshots: images.listSnapshots(ctx.caller, req.project).map(toImage) });
    },
  };
  // The batched methods run each item through its single method (see @bmi/grpc batchOf).
  return {
    ...single,
    createDisks: batchOf(single.createDisk),
    getDisks: batchOf(single.getDisk),
    deleteDisks: batchOf(single.deleteDisk),
  };
}

// A client that stops sending without closing or cancelling its stream loses the upload after this long.
const UPLOAD_IDLE_MS = 60_000;

/**
 * The chunks after the header; a second header is a protocol error. Ends with an error when the client goes away
 * mid-stream (or falls silent), so the driver removes its half-written image instead of waiting forever.
 */
async function* chunksOf(it: AsyncIterator<UploadImageRequest>, signal: AbortSignal): AsyncGenerator<Buffer> {
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(signal.reason ?? new Error("call aborted"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
  aborted.catch(() => undefined);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceededError(`upload: nothing received for ${UPLOAD_IDLE_MS / 1000} s`)), UPLOAD_IDLE_MS);
    });
    const r = await Promise.race([it.next(), aborted, idle]).finally(() => clearTimeout(timer));
    if (r.done) return;
    if (r.value.header) throw new InvalidArgumentError("only the first upload message may be a header");
    if (r.value.chunk) yield r.value.chunk;
  }
}
