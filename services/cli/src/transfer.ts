import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { DataLossError } from "@bmi/errors";
import { fromServiceError, isServiceError } from "@bmi/grpc";
import {
  DownloadImageRequest, ImageFormat, type DownloadImageResponse, type Image, type UploadImageResponse,
} from "@bmi/proto/bmi/image/v1/image";
import type { Ctx } from "./context";
import { bar, bytes } from "./output";

const CHUNK = 1024 * 1024;

function progress(ctx: Ctx, verb: string, done: number, total: number, t0: number): void {
  const rate = done / Math.max(0.001, (Date.now() - t0) / 1000);
  ctx.out.progress(`${verb} ${bar(done, total)} ${bytes(done)}/${bytes(total)} ${bytes(rate)}/s`);
}

const mapped = (err: unknown) => (isServiceError(err) ? fromServiceError(err, "image-service") : err);

/** Uploads a file as an image: its sha256 first (the service refuses a mismatch), then the bytes. */
export async function uploadFile(ctx: Ctx, project: string, name: string, file: string, format: ImageFormat, isPublic: boolean): Promise<Image | undefined> {
  const { size } = await stat(file);
  const hash = createHash("sha256");
  let t0 = Date.now();
  let done = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    done += chunk.length;
    progress(ctx, "checksum", done, size, t0);
  }
  const checksum = hash.digest("hex");
  let call: ReturnType<typeof ctx.image.raw.uploadImage> | undefined;
  const response = new Promise<UploadImageResponse>((resolve, reject) => {
    call = ctx.image.raw.uploadImage(ctx.image.metadata(ctx.stream), ctx.image.callOptions(ctx.stream),
      (err, res) => (err ? reject(mapped(err)) : resolve(res)));
  });
  const stream = call!;
  stream.write({ header: { project, name, format, sizeBytes: size, checksum, public: isPublic } });
  t0 = Date.now();
  done = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    if (!stream.write({ chunk })) await Promise.race([once(stream, "drain"), response]);
    done += chunk.length;
    progress(ctx, "upload", done, size, t0);
  }
  stream.end();
  const res = await response;
  ctx.out.done();
  return res.image;
}

/** Downloads an image into `file` (written beside it, then renamed once its sha256 matches). */
export async function downloadFile(ctx: Ctx, project: string, name: string, file: string): Promise<{ size: number; checksum: string }> {
  const call = ctx.image.raw.downloadImage(DownloadImageRequest.fromPartial({ project, name }),
    ctx.image.metadata(ctx.stream), ctx.image.callOptions(ctx.stream));
  const part = `${file}.part`;
  const out = createWriteStream(part);
  const hash = createHash("sha256");
  let size = 0;
  let expected = "";
  let done = 0;
  const t0 = Date.now();
  try {
    for await (const msg of call as AsyncIterable<DownloadImageResponse>) {
      if (msg.header) ({ sizeBytes: size, checksum: expected } = msg.header);
      if (msg.chunk) {
        hash.update(msg.chunk);
        done += msg.chunk.length;
        if (!out.write(msg.chunk)) await once(out, "drain");
        progress(ctx, "download", done, size, t0);
      }
    }
    out.end();
    await finished(out);
    const got = hash.digest("hex");
    if (done !== size || (expected && got !== expected)) {
      throw new DataLossError(`download of ${name} is corrupt: ${done}/${size} bytes, sha256 ${got}, expected ${expected}`);
    }
    await rename(part, file);
    return { size, checksum: got };
  } catch (err) {
    out.destroy();
    await unlink(part).catch(() => undefined);
    throw mapped(err);
  } finally {
    ctx.out.done();
  }
}

export function formatOf(flag: string | undefined, file: string): ImageFormat {
  const f = flag ?? (/\.qcow2?$/i.test(file) ? "qcow2" : "raw");
  if (f === "qcow2") return ImageFormat.IMAGE_FORMAT_QCOW2;
  if (f === "raw") return ImageFormat.IMAGE_FORMAT_RAW;
  throw new Error(`--format ${f}: raw or qcow2`);
}
