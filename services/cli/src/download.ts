import { createHash } from "node:crypto";
import { DataLossError } from "@bmi/errors";
import { DownloadImageRequest, type DownloadImageResponse } from "@bmi/proto/bmi/image/v1/image";
import type { Ctx } from "./context";
import { interruption } from "./exit-codes";
import { PartialFile } from "./local-file";
import { fromImageService, progress } from "./transfer";

/**
 * Downloads an image into `file`: written to a temporary beside it (created before the call, so a bad path fails
 * at once), renamed over `file` once its size and sha256 match. On any failure or Ctrl-C the temporary is removed
 * and `file` is left as it was.
 */
export async function downloadFile(ctx: Ctx, project: string, name: string, file: string): Promise<{ size: number; checksum: string }> {
  const part = await PartialFile.create(file);
  const call = ctx.image.raw.downloadImage(DownloadImageRequest.fromPartial({ project, name }),
    ctx.image.metadata(ctx.stream), ctx.image.callOptions(ctx.stream));
  const cancel = () => call.cancel();
  ctx.signal.addEventListener("abort", cancel, { once: true });
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
        await part.write(msg.chunk);
        progress(ctx, "download", done, size, t0);
      }
    }
    const got = hash.digest("hex");
    if (done !== size || (expected && got !== expected)) {
      throw new DataLossError(`download of ${name} is corrupt: ${done}/${size} bytes, sha256 ${got}, expected ${expected}`);
    }
    await part.commit();
    return { size, checksum: got };
  } catch (err) {
    call.cancel();
    await part.discard();
    throw interruption(ctx.signal, `interrupted: download of ${project}/${name} cancelled, ${file} not written`) ?? fromImageService(err);
  } finally {
    ctx.signal.removeEventListener("abort", cancel);
    ctx.out.done();
  }
}
