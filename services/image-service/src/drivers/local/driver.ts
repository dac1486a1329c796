import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import {
  refKey, type DiskRecord, type ImageData, type ImageRecord, type NewImage, type Ref, type StorageDriver, type StoredState,
} from "../../storage";
import { newId, readChunks, removeFileInBackground, sha256File, writeJsonAtomic, writeJsonNew, writeSparse } from "../files";
import { LocalLayout, scanLocal, type DiskSidecar, type ImageSidecar } from "./layout";
import { OverlayMaker } from "./overlays";
import { DiskExports } from "./exports";
import { QemuImg, translateFileError, type QemuImgLimits } from "../qemu-img";

export interface LocalDriverOptions {
  dataDir: string;
  log: Logger;
  /**
   * Run qemu-storage-daemon detached and leave it serving the disks when the service stops or crashes, so a
   * restart does not cut off nodes. Off: the daemon dies with the service.
   */
  keepExports?: boolean;
  /** For converting qcow2 uploads. */
  qemuImg?: QemuImgLimits;
  /** Disks one qemu-storage-daemon exports (default EXPORTS_PER_DAEMON); more disks start more daemons. */
  exportsPerDaemon?: number;
}

/**
 * Images are sparse raw files, disks qcow2 overlays on them, served as raw files through one
 * qemu-storage-daemon (FUSE exports) for tgtd. Metadata is a JSON sidecar beside each file.
 */
export class LocalDriver implements StorageDriver {
  readonly kind = "local";
  readonly layout: LocalLayout;
  private exports: DiskExports | undefined;
  /** Images by id, and their ids by "project/name". */
  private readonly images = new Map<string, ImageSidecar>();
  private readonly imageIds = new Map<string, string>();
  private readonly disks = new Map<string, DiskSidecar>();
  private readonly overlays: OverlayMaker;
  private readonly qemuImg: QemuImg;

  constructor(private readonly opts: LocalDriverOptions) {
    this.layout = new LocalLayout(path.resolve(opts.dataDir));
    this.qemuImg = new QemuImg(opts.qemuImg);
    this.overlays = new OverlayMaker(this.layout, this.qemuImg);
  }

  async open(): Promise<StoredState> {
    await this.layout.prepare();
    const found = await scanLocal(this.layout, this.opts.log);
    for (const i of found.images) this.remember(i);
    for (const d of found.disks) this.disks.set(refKey(d), d);
    const keep = this.opts.keepExports === true;
    this.exports = await DiskExports.open(this.layout, found.disks.map((d) => d.id), this.opts.log, {
      detached: keep, ...(this.opts.exportsPerDaemon !== undefined ? { perDaemon: this.opts.exportsPerDaemon } : {}),
    });
    return { images: found.images.map(toImage), disks: found.disks.map((d) => this.toDisk(d)) };
  }

  async close(): Promise<void> {
    await this.exports?.close(this.opts.keepExports === true);
    this.exports = undefined;
  }

  async writeImage(image: NewImage, data: ImageData): Promise<ImageRecord> {
    const upload = this.layout.tmp(data.format);
    const raw = data.format === "raw" ? upload : this.layout.tmp("raw");
    try {
      await writeSparse(upload, data.chunks);
      if (data.format === "qcow2") await this.qemuImg.qcow2ToRaw(upload, raw, data.virtualSize);
      return await this.commit(image, raw, data.format === "raw" ? data.checksum : undefined);
    } catch (err) {
      throw translateFileError(err, `image ${refKey(image)}`);
    } finally {
      await Promise.all([rm(upload, { force: true }), rm(raw, { force: true })]);
    }
  }

  importImage(): Promise<ImageRecord> {
    return Promise.reject(new InvalidArgumentError("the local driver imports files only, not Ceph images"));
  }

  readImage(ref: Ref): AsyncIterable<Buffer> {
    return readChunks(this.layout.imageFile(this.image(ref).id));
  }

  async copyImage(source: Ref, image: NewImage): Promise<ImageRecord> {
    const src = this.image(source);
    const raw = this.layout.tmp("raw");
    try {
      await this.qemuImg.copyRaw(this.layout.imageFile(src.id), raw);
      return await this.commit(image, raw, src.checksum);
    } catch (err) {
      throw translateFileError(err, `image ${refKey(image)}`);
    } finally {
      await rm(raw, { force: true });
    }
  }

  async renameImage(ref: Ref, newName: string): Promise<void> {
    const to = { project: ref.project, name: newName };
    if (this.imageIds.has(refKey(to))) throw new AlreadyExistsError(`image ${refKey(to)} already exists`);
    const next = { ...this.image(ref), name: newName };
    await writeJsonAtomic(this.layout.imageMeta(next.id), next);
    this.imageIds.delete(refKey(ref));
    this.remember(next);
  }

  async setPublic(ref: Ref, isPublic: boolean): Promise<void> {
    const next = { ...this.image(ref), public: isPublic };
    await writeJsonAtomic(this.layout.imageMeta(next.id), next);
    this.remember(next);
  }

  async deleteImage(ref: Ref): Promise<void> {
    const img = this.image(ref);
    const users = [...this.disks.values()].filter((d) => d.imageId === img.id).length;
    if (users > 0) throw new FailedPreconditionError(`image ${refKey(ref)} has ${users} disk(s)`);
    // The sidecar goes first: from then on the image does not exist, and a crash leaves only a file to sweep.
    await rm(this.layout.imageMeta(img.id));
    this.images.delete(img.id);
    this.imageIds.delete(refKey(ref));
    await rm(this.layout.imageFile(img.id), { force: true });
  }

  async createDisk(ref: Ref, image: ImageRecord): Promise<DiskRecord> {
    if (this.disks.has(refKey(ref))) throw new AlreadyExistsError(`disk ${refKey(ref)} already exists`);
    const img = this.image(image);
    const disk: DiskSidecar = {
      id: newId(), project: ref.project, name: ref.name, imageId: img.id,
      created: new Date().toISOString(), sizeBytes: img.sizeBytes,
    };
    // The overlay is made in place (a crash leaves an overlay without a sidecar, which the next start removes); the
    // sidecar, renamed into place whole, makes the disk exist.
    let made = false;
    try {
      await this.overlays.create(this.layout.diskFile(disk.id), img.id);
      made = true;
      writeJsonNew(this.layout.diskMeta(disk.id), disk);
      await this.served().add(disk.id);
    } catch (err) {
      if (made) await this.removeDiskFiles(disk).catch(() => undefined);
      throw translateFileError(err, `disk ${refKey(ref)}`);
    }
    this.disks.set(refKey(ref), disk);
    return this.toDisk(disk);
  }

  async deleteDisk(ref: Ref): Promise<void> {
    const disk = this.disks.get(refKey(ref));
    if (!disk) throw new NotFoundError(`disk ${refKey(ref)} not found`);
    await this.removeDiskFiles(disk);
    this.disks.delete(refKey(ref));
  }

  async snapshotDisk(diskRef: Ref, image: NewImage): Promise<ImageRecord> {
    const disk = this.disks.get(refKey(diskRef));
    if (!disk) throw new NotFoundError(`disk ${refKey(diskRef)} not found`);
    const raw = this.layout.tmp("raw");
    try {
      // Read through the daemon's raw view: the overlay's own file may lag behind what the daemon has cached.
      await this.qemuImg.copyRaw(this.layout.exportFile(disk.id), raw, { shared: true });
      return await this.commit(image, raw, undefined);
    } catch (err) {
      throw translateFileError(err, `image ${refKey(image)}`);
    } finally {
      await rm(raw, { force: true });
    }
  }

  /** Moves a finished raw file into the library under a new id; its sidecar, written last, makes it exist. */
  private async commit(image: NewImage, raw: string, checksum: string | undefined): Promise<ImageRecord> {
    if (this.imageIds.has(refKey(image))) throw new AlreadyExistsError(`image ${refKey(image)} already exists`);
    const sidecar: ImageSidecar = {
      id: path.basename(raw, ".raw"), project: image.project, name: image.name,
      sizeBytes: (await stat(raw)).size, checksum: checksum ?? (await sha256File(raw)),
      parent: image.parent, created: image.created.toISOString(), public: image.public, sourceDisk: image.sourceDisk,
    };
    await rename(raw, this.layout.imageFile(sidecar.id));
    try {
      await writeJsonAtomic(this.layout.imageMeta(sidecar.id), sidecar);
    } catch (err) {
      await rm(this.layout.imageFile(sidecar.id), { force: true });
      throw err;
    }
    this.remember(sidecar);
    return toImage(sidecar);
  }

  /** The sidecar first: from then on the disk does not exist, and a crash leaves only files the next start removes. */
  private async removeDiskFiles(disk: DiskSidecar): Promise<void> {
    await removeFileInBackground(this.layout.diskMeta(disk.id));
    await this.served().remove(disk.id);
    await removeFileInBackground(this.layout.diskFile(disk.id));
  }

  private served(): DiskExports {
    if (!this.exports) throw new Error("local driver is not open");
    return this.exports;
  }

  private remember(img: ImageSidecar): void {
    this.images.set(img.id, img);
    this.imageIds.set(refKey(img), img.id);
  }

  private image(ref: Ref): ImageSidecar {
    const img = this.images.get(this.imageIds.get(refKey(ref)) ?? "");
    if (!img) throw new NotFoundError(`image ${refKey(ref)} not found`);
    return img;
  }

  private toDisk(d: DiskSidecar): DiskRecord {
    const img = this.images.get(d.imageId);
    return {
      project: d.project, name: d.name, image: img ? refKey(img) : "", created: new Date(d.created),
      sizeBytes: d.sizeBytes, backing: { kind: "file", path: this.layout.exportFile(d.id) },
    };
  }
}

function toImage(s: ImageSidecar): ImageRecord {
  return {
    project: s.project, name: s.name, sizeBytes: s.sizeBytes, checksum: s.checksum, parent: s.parent,
    created: new Date(s.created), public: s.public, sourceDisk: s.sourceDisk, backend: "local",
  };
}
