import { rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "@bmi/log";
import { refKey, type ImageRecord, type NewImage } from "../../storage";
import { BASE_SNAPSHOT, META_KEY, imageName, mapped, type CephImageMeta } from "./names";
import { discard } from "./scan";
import { newId, readChunks } from "../files";
import type { QemuImg } from "../qemu-img";
import type { RbdPool } from "./rbd";
import { fillImage } from "./rbd-io";

/**
 * Builds new images in the pool: always under a fresh tmp~ name, which gets the metadata and the "base"
 * snapshot before an atomic rename gives it its real name. Whatever fails, the tmp~ image is removed.
 */
export class CephImageWriter {
  constructor(
    private readonly pool: () => RbdPool, private readonly backend: string, private readonly tmpDir: string, private readonly qemuImg: QemuImg, private readonly log: Logger,
    /** A fresh tmp~ name (the driver's: it may carry the instance), and the lock check run right before the rename. */
    private readonly commit: { tmp: () => string; fence: () => Promise<void> },
  ) {}

  /** `tmp` becomes an independent copy of `image@snapshot` (in `from`): a clone, flattened. */
  async cloneFlat(from: RbdPool, image: string, snapshot: string, tmp: string): Promise<void> {
    await from.clone(image, snapshot, tmp, this.pool());
    await this.pool().with(tmp, {}, (img) => img.flatten());
  }

  /** A qcow2 file the library inspected (no backing or data file), converted to raw on local disk, then written into the pool. */
  async importQcow2(image: NewImage, file: string, virtualSize: number): Promise<ImageRecord> {
    const raw = path.join(this.tmpDir, `${newId()}.raw`);
    try {
      await this.qemuImg.qcow2ToRaw(file, raw, virtualSize);
      return await this.build(image, (await stat(raw)).size, readChunks(raw));
    } finally {
      await rm(raw, { force: true });
    }
  }

  /** A new image of `sizeBytes` filled from `chunks`. */
  build(image: NewImage, sizeBytes: number, chunks: AsyncIterable<Buffer>): Promise<ImageRecord> {
    return this.finish(image, async (tmp) => {
      await this.pool().create(tmp, sizeBytes);
      return this.pool().with(tmp, {}, async (img) => (await fillImage(img, chunks)).checksum);
    });
  }

  /**
   * Runs `fill` on a fresh tmp~ name (it creates the image there and answers its checksum), then adds the metadata
   * and the base snapshot and renames it into place. On any failure the tmp~ image is removed.
   */
  async finish(image: NewImage, fill: (tmp: string) => Promise<string>): Promise<ImageRecord> {
    const tmp = this.commit.tmp();
    try {
      const checksum = await fill(tmp);
      const meta: CephImageMeta = {
        checksum, created: image.created.toISOString(), public: image.public, parent: image.parent, sourceDisk: image.sourceDisk,
      };
      const sizeBytes = await this.pool().with(tmp, {}, async (img) => {
        await img.metadataSet(META_KEY, JSON.stringify(meta));
        await img.snapCreate(BASE_SNAPSHOT);
        return img.size();
      });
      await this.commit.fence();
      await mapped(`image ${refKey(image)}`, () => this.pool().rename(tmp, imageName(image)));
      return { project: image.project, name: image.name, sizeBytes, checksum, parent: image.parent, created: image.created,
        public: image.public, sourceDisk: image.sourceDisk, backend: this.backend };
    } catch (err) {
      await discard(this.pool(), tmp).catch((e: unknown) => this.log.error({ err: e, image: tmp }, "tmp image not removed"));
      throw err;
    }
  }

}
