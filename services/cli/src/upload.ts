import { createHash } from "node:crypto";
import { once } from "node:events";
import { ImageFormat, type Image, type UploadImageResponse } from "@bmi/proto/bmi/image/v1/image";
import { validateName } from "@bmi/validate";
import type { Ctx } from "./context";
import { UsageError, interruption } from "./exit-codes";
import { fileChunks, readableSize } from "./local-file";
import { fromImageService, progress } from "./transfer";

const CHUNK = 1024 * 1024;

export function formatOf(flag: string | undefined, file: string): ImageFormat {
  const f = flag ?? (/\.qcow2?$/i.test(file) ? "qcow2" : "raw");
  if (f === "qcow2") return ImageFormat.IMAGE_FORMAT_QCOW2;
  if (f === "raw") return ImageFormat.IMAGE_FORMAT_RAW;
  throw new UsageError(`--format ${f}: raw or qcow2`);
}

export interface Upload { project: string; name: string; file: string; format: ImageFormat; public: boolean }

/**
 * Uploads a file as an image: its sha256 first (the service refuses a mismatch), then the bytes. On any failure or
 * Ctrl-C the call is cancelled, and image-service keeps nothing of a cancelled or short upload.
 */
export async function uploadFile(ctx: Ctx, u: Upload): Promise<Image | undefined> {
  validateName("project", u.project);
  validateName("image", u.name);
  const size = await readableSize(u.file);
  const checksum = await checksumOf(ctx, u.file, size);
  const what = `upload of image ${u.project}/${u.name}`;
  let settled = false;
  let sentAll = false;
  let call: ReturnType<typeof ctx.image.raw.uploadImage> | undefined;
  // Observed below, but it may fail (name taken, service gone) while the file is being read: never unhandled.
  const answer = new Promise<UploadImageResponse>((resolve, reject) => {
    call = ctx.image.raw.uploadImage(ctx.image.metadata(ctx.stream), ctx.image.callOptions(ctx.stream),
      (err, res) => { settled = true; return err ? reject(fromImageService(err)) : resolve(res); });
  });
  answer.catch(() => undefined);
  const stream = call!;
  const cancel = () => stream.cancel();
  ctx.signal.addEventListener("abort", cancel, { once: true });
  try {
    stream.write({ header: { project: u.project, name: u.name, format: u.format, sizeBytes: size, checksum, public: u.public } });
    const t0 = Date.now();
    let done = 0;
    for await (const chunk of fileChunks(u.file, CHUNK)) {
      if (settled || ctx.signal.aborted) break;
      if (!stream.write({ chunk })) await Promise.race([once(stream, "drain"), answer]);
      done += chunk.length;
      progress(ctx, "upload", done, size, t0);
    }
    stream.end();
    sentAll = !settled && !ctx.signal.aborted;
    return (await answer).image;
  } catch (err) {
    stream.cancel();
    throw interruption(ctx.signal, sentAll
      ? `interrupted: ${what} cancelled; the service may have had every byte already (bmi image show ${u.name})`
      : `interrupted: ${what} cancelled, nothing kept`) ?? err;
  } finally {
    ctx.signal.removeEventListener("abort", cancel);
    ctx.out.done();
  }
}

async function checksumOf(ctx: Ctx, file: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  const t0 = Date.now();
  let done = 0;
  for await (const chunk of fileChunks(file, CHUNK)) {
    const stop = interruption(ctx.signal, `interrupted while reading ${file}: nothing uploaded`);
    if (stop) throw stop;
    hash.update(chunk);
    done += chunk.length;
    progress(ctx, "checksum", done, size, t0);
  }
  ctx.out.done();
  return hash.digest("hex");
}
