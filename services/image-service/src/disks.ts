import { AlreadyExistsError, NotFoundError } from "@bmi/errors";
import { validateName } from "@bmi/validate";
import { assertMember, type Viewer } from "./access";
import type { ImageInfo } from "./catalog";
import { diskLock, imageLock, type ImageLibrary } from "./library";
import { diskCost, imageCost } from "./quotas";
import { refKey, type DiskRecord, type Ref } from "./storage";

/**
 * Node disks: copy-on-write clones of library images, and snapshots of them back into the library. Shares the
 * image library's catalog, locks and driver.
 */
export class DiskLibrary {
  constructor(private readonly lib: ImageLibrary) {}

  /**
   * Idempotent: the same disk of the same image again answers the existing disk with created=false; the same
   * name with another image is ALREADY_EXISTS. `image` is a name in the disk's project or "project/name".
   */
  async createDisk(viewer: Viewer, ref: Ref, image: string): Promise<{ disk: DiskRecord; created: boolean }> {
    this.member(viewer, ref);
    const imageRef = parseImageRef(image, ref.project);
    await this.lib.seen("image", imageRef);
    this.lib.visible(viewer, imageRef);
    return this.lib.locks.with([[diskLock(ref), "write"], [imageLock(imageRef), "read"]], async () => {
      await Promise.all([this.lib.sync("disk", ref), this.lib.sync("image", imageRef)]);
      const image = this.lib.visible(viewer, imageRef);
      const existing = this.lib.catalog.disk(ref);
      if (existing) {
        if (existing.image === refKey(imageRef)) return { disk: existing, created: false };
        throw new AlreadyExistsError(`disk ${refKey(ref)} exists with image ${existing.image}`);
      }
      return this.lib.quotas.with(ref.project, diskCost(image.sizeBytes), async () => {
        const disk = await this.lib.driver.createDisk(ref, image);
        this.lib.catalog.putDisk(disk);
        await this.lib.announce("disk", ref);
        return { disk, created: true };
      });
    });
  }

  /** getDisk that also finds a disk another instance made a moment ago. */
  async getDiskNow(viewer: Viewer, ref: Ref): Promise<DiskRecord> {
    this.member(viewer, ref);
    await this.lib.seen("disk", ref);
    return this.getDisk(viewer, ref);
  }

  getDisk(viewer: Viewer, ref: Ref): DiskRecord {
    this.member(viewer, ref);
    const disk = this.lib.catalog.disk(ref);
    if (!disk) throw new NotFoundError(`disk ${refKey(ref)} not found`);
    return disk;
  }

  listDisks(viewer: Viewer, project: string): DiskRecord[] {
    validateName("project", project);
    assertMember(viewer, project);
    return this.lib.catalog.disksOf(project);
  }

  async deleteDisk(viewer: Viewer, ref: Ref): Promise<void> {
    await this.getDiskNow(viewer, ref);
    await this.lib.locks.with([[diskLock(ref), "write"]], async () => {
      await this.lib.sync("disk", ref);
      this.getDisk(viewer, ref);
      await this.lib.driver.deleteDisk(ref);
      this.lib.catalog.removeDisk(ref);
      await this.lib.announce("disk", ref);
    });
  }

  /** A flattened copy of the disk as a new image of the project; any number of times, concurrently too. */
  async createSnapshot(viewer: Viewer, diskRef: Ref, name: string): Promise<ImageInfo> {
    const disk = await this.getDiskNow(viewer, diskRef);
    const image = this.lib.newImage(viewer, { project: diskRef.project, name }, { parent: disk.image, sourceDisk: refKey(diskRef) });
    return this.lib.create(image, async (hold) => {
      await this.lib.sync("disk", diskRef);
      const current = this.lib.catalog.disk(diskRef);
      if (!current) throw new NotFoundError(`disk ${refKey(diskRef)} not found`);
      hold.add(imageCost(current.sizeBytes));
      return this.lib.driver.snapshotDisk(diskRef, image);
    }, [[diskLock(diskRef), "read"]]);
  }

  private member(viewer: Viewer, ref: Ref): void {
    validateName("project", ref.project);
    validateName("disk", ref.name);
    assertMember(viewer, ref.project);
  }
}

/** "name" (in `project`) or "otherproject/name". */
export function parseImageRef(image: string, project: string): Ref {
  const parts = image.split("/");
  const ref = parts.length === 2 ? { project: parts[0] ?? "", name: parts[1] ?? "" } : { project, name: image };
  validateName("project", ref.project);
  validateName("image", ref.name);
  return ref;
}
