import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { validateName } from "@bmi/validate";
import { assertMember, canSee, isMember, type Viewer } from "./access";
import { verified } from "./bytes";
import { Catalog, type ImageInfo, type Page } from "./catalog";
import { openImportFile, validateSource } from "./import-source";
import { DEFAULT_INTAKE_LIMITS, inspectImage, type IntakeLimits, type OfferedImage } from "./intake";
import type { Kind, SharedView } from "./coordination/shared-catalog";
import { KeyedLocks, type Locks } from "./keyed-locks";
import { ImageQuotas, imageCost, type QuotaHold } from "./quotas";
import { refKey, type ImageFormat, type ImageRecord, type ImportSource, type NewImage, type Ref, type StorageDriver } from "./storage";

export interface UploadHeader extends Ref {
  /** undefined: detected from the data. */
  format: ImageFormat | undefined;
  sizeBytes: number;
  checksum: string;
  public: boolean;
}

/**
 * The image library of every project: golden images, their copy-on-write disks (see DiskLibrary) and snapshots.
 * Validates every name before storage sees it, enforces visibility (another project's private image does not
 * exist for the caller), serializes conflicting operations per name, and keeps the catalog in step with storage.
 * With several instances on one Ceph pool (`Sharing`), the locks are in Redis, every decision under a lock reads
 * the names it is about from the pool first, and every change is announced to the other instances.
 */
export class ImageLibrary {
  readonly locks: Locks;
  readonly quotas: ImageQuotas;
  private sharing: Sharing | undefined;
  private shared: (SharedView & { close(): Promise<void> }) | undefined;

  constructor(
    readonly driver: StorageDriver, readonly catalog: Catalog, readonly log: Logger, readonly limits: IntakeLimits = DEFAULT_INTAKE_LIMITS,
    locks: Locks = new KeyedLocks(),
  ) {
    this.locks = locks;
    this.quotas = new ImageQuotas(catalog);
  }

  /** Opens the driver (which reconciles leftovers of crashed operations) and indexes what it holds. */
  static async open(driver: StorageDriver, log: Logger, limits: IntakeLimits = DEFAULT_INTAKE_LIMITS, sharing?: Sharing): Promise<ImageLibrary> {
    const state = await driver.open();
    log.info({ driver: driver.kind, images: state.images.length, disks: state.disks.length }, "storage opened");
    const lib = new ImageLibrary(driver, new Catalog(state), log, limits, sharing?.locks);
    lib.sharing = sharing;
    lib.shared = await sharing?.share(lib.catalog);
    return lib;
  }

  async close(): Promise<void> {
    await this.shared?.close();
    await this.driver.close();
    await this.sharing?.close();
  }

  /** Brings the catalog's entry for `ref` up to date with storage (several instances; nothing to do with one). */
  async sync(kind: Kind, ref: Ref): Promise<void> {
    await this.shared?.refresh(kind, ref);
  }

  /** Like sync, but only for a name this instance has not seen: a read that another instance's new image or disk must not miss. */
  async seen(kind: Kind, ref: Ref): Promise<void> {
    validateName("project", ref.project);
    validateName(kind, ref.name);
    if (!(kind === "image" ? this.catalog.image(ref) : this.catalog.disk(ref))) await this.sync(kind, ref);
  }

  /** Tells the other instances that `ref` changed here. */
  async announce(kind: Kind, ref: Ref, renamedTo?: string): Promise<void> {
    await this.shared?.changed(kind, ref, renamedTo);
  }

  listImages(viewer: Viewer, q: { project: string; includePublic: boolean; pageSize: number; pageToken: string }): Page<ImageInfo> {
    if (q.project) {
      validateName("project", q.project);
      assertMember(viewer, q.project);
    }
    const own = (i: ImageRecord) => (q.project ? i.project === q.project : isMember(viewer, i.project));
    return this.catalog.listImages((i) => own(i) || (q.includePublic && i.public), q.pageSize, q.pageToken);
  }

  async getImageNow(viewer: Viewer, ref: Ref): Promise<ImageInfo> {
    await this.seen("image", ref);
    return this.getImage(viewer, ref);
  }

  getImage(viewer: Viewer, ref: Ref): ImageInfo {
    return this.catalog.info(this.visible(viewer, ref));
  }

  listSnapshots(viewer: Viewer, project: string): ImageInfo[] {
    validateName("project", project);
    assertMember(viewer, project);
    return this.catalog.listImages((i) => i.project === project && i.sourceDisk !== "", Number.MAX_SAFE_INTEGER, "").items;
  }

  async uploadImage(viewer: Viewer, header: UploadHeader, chunks: AsyncIterable<Buffer>): Promise<ImageInfo> {
    if (!/^[0-9a-f]{64}$/i.test(header.checksum)) throw new InvalidArgumentError("checksum must be a sha256 in hex");
    if (!Number.isSafeInteger(header.sizeBytes) || header.sizeBytes <= 0) throw new InvalidArgumentError("size_bytes must be positive");
    const image = this.newImage(viewer, header, { public: header.public });
    return this.write(image, {
      format: header.format, sizeBytes: header.sizeBytes, checksum: header.checksum.toLowerCase(),
      chunks: verified(chunks, header.sizeBytes, header.checksum),
    });
  }

  /** Server-side sources (files on this host, any Ceph pool) could expose other tenants' data: admins only. */
  async importImage(viewer: Viewer, ref: Ref, source: ImportSource, isPublic: boolean): Promise<ImageInfo> {
    if (!viewer.admin) throw new PermissionDeniedError("importing server-side files or Ceph images needs an admin");
    validateSource(source);
    const image = this.newImage(viewer, ref, { public: isPublic });
    if (source.kind === "ceph") {
      return this.create(image, async (hold) => counted(hold, await this.driver.importImage(image, source, this.limits.maxVirtualSize), this.driver));
    }
    const file = await openImportFile(source.path);
    try {
      return await this.write(image, { format: source.format, sizeBytes: file.sizeBytes, chunks: file.chunks });
    } finally {
      await file.close();
    }
  }

  /** A new image from offered bytes, inspected before the driver (and qemu-img) sees any of them. */
  private write(image: NewImage, offered: OfferedImage): Promise<ImageInfo> {
    return this.create(image, async (hold) => {
      const data = await inspectImage(offered, this.limits);
      hold.add(imageCost(data.virtualSize));
      return this.driver.writeImage(image, data);
    });
  }

  /**
   * The raw content with its size and checksum; the image cannot be deleted while it is being read. `signal`
   * ends the read (closing the image, releasing its lock) even while nobody pulls the next chunk.
   */
  downloadImage(viewer: Viewer, ref: Ref, signal?: AbortSignal): { image: ImageInfo; chunks: AsyncIterable<Buffer> } {
    const image = this.getImage(viewer, ref);
    const self = this;
    async function* chunks(): AsyncGenerator<Buffer> {
      const release = await self.locks.hold(imageLock(ref), "read");
      try {
        await self.sync("image", ref);
        if (!self.catalog.image(ref)) throw new NotFoundError(`image ${refKey(ref)} not found`);
        yield* self.driver.readImage(ref);
      } finally {
        release();
      }
    }
    const gen = chunks();
    signal?.addEventListener("abort", () => void gen.return(undefined).catch(() => undefined), { once: true });
    return { image, chunks: gen };
  }

  async copyImage(viewer: Viewer, source: Ref, target: Ref): Promise<ImageInfo> {
    await this.seen("image", source);
    const from = this.visible(viewer, source);
    const image = this.newImage(viewer, target, { parent: refKey(source) });
    return this.create(image, (hold) => {
      hold.add(imageCost(from.sizeBytes));
      return this.driver.copyImage(source, image);
    }, [[imageLock(source), "read"]]);
  }

  async renameImage(viewer: Viewer, ref: Ref, newName: string): Promise<ImageInfo> {
    const to = this.checkNew(viewer, { project: ref.project, name: newName });
    this.owned(viewer, ref);
    return this.locks.with([[imageLock(ref), "write"], [imageLock(to), "write"]], async () => {
      await Promise.all([this.sync("image", ref), this.sync("image", to)]);
      this.owned(viewer, ref);
      if (this.catalog.image(to)) throw new AlreadyExistsError(`image ${refKey(to)} already exists`);
      await this.driver.renameImage(ref, newName);
      this.catalog.renameImage(ref, newName);
      await this.announce("image", ref, newName);
      return this.getImage(viewer, to);
    });
  }

  async setVisibility(viewer: Viewer, ref: Ref, isPublic: boolean): Promise<ImageInfo> {
    this.owned(viewer, ref);
    return this.locks.with([[imageLock(ref), "write"]], async () => {
      await this.sync("image", ref);
      const image = this.owned(viewer, ref);
      await this.driver.setPublic(ref, isPublic);
      this.catalog.putImage({ ...image, public: isPublic });
      await this.announce("image", ref);
      return this.getImage(viewer, ref);
    });
  }

  /** Refused while disks are cloned from the image; snapshots are flattened copies and do not hold it. */
  async deleteImage(viewer: Viewer, ref: Ref): Promise<void> {
    this.owned(viewer, ref);
    await this.locks.with([[imageLock(ref), "write"]], async () => {
      await this.sync("image", ref);
      this.owned(viewer, ref);
      const disks = this.catalog.diskCount(ref);
      if (disks > 0) throw new FailedPreconditionError(`image ${refKey(ref)} has ${disks} disk(s); delete them first`);
      await this.driver.deleteImage(ref);
      this.catalog.removeImage(ref);
      await this.announce("image", ref);
    });
  }

  /** Validates and authorizes a new image of the caller's; it must not exist yet. */
  newImage(viewer: Viewer, ref: Ref, extra: Partial<NewImage>): NewImage {
    this.checkNew(viewer, ref);
    return { project: ref.project, name: ref.name, created: new Date(), public: false, parent: "", sourceDisk: "", ...extra };
  }

  /**
   * Runs `write` under the new image's lock (and `more` locks), then adds what it made to the catalog. The image
   * counts against its project's quota from the start; `write` adds its bytes to `hold` once it knows them.
   */
  async create(image: NewImage, write: (hold: QuotaHold) => Promise<ImageRecord>, more: Array<[string, "read" | "write"]> = []): Promise<ImageInfo> {
    return this.locks.with([[imageLock(image), "write"], ...more], async () => {
      await this.sync("image", image);
      if (this.catalog.image(image)) throw new AlreadyExistsError(`image ${refKey(image)} already exists`);
      return this.quotas.with(image.project, { images: 1 }, async (hold) => {
        const record = await write(hold);
        this.catalog.putImage(record);
        await this.announce("image", record);
        return this.catalog.info(record);
      });
    });
  }

  private checkNew(viewer: Viewer, ref: Ref): Ref {
    validateName("project", ref.project);
    validateName("image", ref.name);
    assertMember(viewer, ref.project);
    if (this.catalog.image(ref)) throw new AlreadyExistsError(`image ${refKey(ref)} already exists`);
    return ref;
  }

  /** The image if the viewer may see it; NOT_FOUND otherwise, exactly as if it did not exist. */
  visible(viewer: Viewer, ref: Ref): ImageRecord {
    validateName("project", ref.project);
    validateName("image", ref.name);
    const image = this.catalog.image(ref);
    if (!image || !canSee(viewer, image)) throw new NotFoundError(`image ${refKey(ref)} not found`);
    return image;
  }

  /** The image if the viewer may change it (a member of its project). */
  private owned(viewer: Viewer, ref: Ref): ImageRecord {
    validateName("project", ref.project);
    validateName("image", ref.name);
    assertMember(viewer, ref.project);
    const image = this.catalog.image(ref);
    if (!image) throw new NotFoundError(`image ${refKey(ref)} not found`);
    return image;
  }
}

/**
 * Several image-service instances on one pool: locks that every instance sees, and what keeps this instance's
 * catalog in step with the others' changes (coordination/).
 */
export interface Sharing {
  locks: Locks;
  share(catalog: Catalog): Promise<SharedView & { close(): Promise<void> }>;
  close(): Promise<void>;
}

/** A Ceph import's size is known once it is made: over the quota, it is removed again. */
async function counted(hold: QuotaHold, record: ImageRecord, driver: StorageDriver): Promise<ImageRecord> {
  try {
    hold.add(imageCost(record.sizeBytes));
    return record;
  } catch (err) {
    await driver.deleteImage(record);
    throw err;
  }
}

export function imageLock(ref: Ref): string {
  return `image:${refKey(ref)}`;
}

export function diskLock(ref: Ref): string {
  return `disk:${refKey(ref)}`;
}
