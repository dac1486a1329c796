import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fromServiceError, isServiceError, type PromiseClient } from "@bmi/grpc";
import { ImageFormat, type Image, type ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";

const CHUNK = 1024 * 1024;

/**
 * Uploads a small raw file (a demo image) as an image through UploadImage, which every image driver supports
 * (ImportImage takes a path for the local driver and a Ceph image for the ceph driver).
 */
export function uploadRawImage(image: PromiseClient<ImageServiceClient>, project: string, name: string, file: string): Promise<Image> {
  const bytes = readFileSync(file);
  const checksum = createHash("sha256").update(bytes).digest("hex");
  return new Promise<Image>((resolve, reject) => {
    const call = image.raw.uploadImage(image.metadata(), image.callOptions({ deadlineMs: 120_000 }), (err, res) => {
      if (err) reject(isServiceError(err) ? fromServiceError(err, "image-service") : err);
      else if (!res.image) reject(new Error(`upload of ${name}: no image in the answer`));
      else resolve(res.image);
    });
    call.write({ header: { project, name, format: ImageFormat.IMAGE_FORMAT_RAW, sizeBytes: bytes.length, checksum, public: false } });
    for (let off = 0; off < bytes.length; off += CHUNK) call.write({ chunk: bytes.subarray(off, off + CHUNK) });
    call.end();
  });
}
