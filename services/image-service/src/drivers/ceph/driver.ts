import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import {
  refKey, type Backing, type CephSource, type DiskRecord, type ImageData, type ImageRecord, type NewImage, type Ref,
  type StorageDriver, type StoredState,
} from "../../storage";
import { BASE_SNAPSHOT, META_KEY, diskName, imageName, mapped, parseName, tmpName, type CephImageMeta } from "./names";
import { discard, readRecord, scanPool, sweepDiskSnapshots, sweepLater, sweepNames, type Abandoned } from "./scan";
import { CephImageWriter } from "./writer";
import { newId, writeSparse } from "../files";
import { QemuImg, type QemuImgLimits } from "../qemu-img";
import { ERRNO, Rados, type CephError, type RbdImage, type RbdPool } from "./rbd";
import { hashImage, readImage } from "./rbd-io";

const SWEEP_MS = 2000;

export interface CephDriverOptions {
  /** ceph.conf as image-service reads it; also what disks report to target-service. */
  conf: string;
  pool: string;
  /** Client id without "client.". */
  user: string;
  /** The user's keyring; absent or "": the one ceph.conf names (or librados's default path). */
  keyring?: string;
  /** For converting qcow2 uploads to raw before they go into the pool. */
  dataDir: string;
  log: Logger;
  qemuImg?: QemuImgLimits;
  /**
   * Several instances on the pool (coordination/): this instance's id, which its tmp~ names carry; which tmp~ names
   * are abandoned (their owner is dead); and the check of the calling operation's locks, run right before each commit.
   * Absent: the only instance, every tmp~ found at start-up is a leftover, and nothing needs fencing.
   */
  shared?: { instance: string; abandoned: Abandoned; fence: () => Promise<void> };
}

/**
 * Images and disks in one RBD pool, through librbd on one long-lived connection. An image is written under a
 * tmp~ name, gets its metadata and its "base" snapshot, and only then its real name (rbd rename is atomic);
 * a disk is a format-2 clone of base; a snapshot is a copy of a tmp~ snapshot of the disk.
 */
export class CephDriver implements StorageDriver {
  readonly kind = "ceph";
  private rados: Rados | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly tmpDir: string;
  private readonly writer: CephImageWriter;

  constructor(private readonly opts: CephDriverOptions) {
    this.tmpDir = path.join(path.resolve(opts.dataDir), "ceph-tmp");
    this.writer = new CephImageWriter(() => this.pool, `ceph:${opts.pool}`, this.tmpDir, new QemuImg(opts.qemuImg), opts.log, {
      tmp: () => this.tmp(), fence: () => this.fence(),
    });
  }

  private tmp(): string {
    return tmpName(this.opts.shared?.instance);
  }

  private fence(): Promise<void> {
    return this.opts.shared?.fence() ?? Promise.resolve();
  }

  private readonly abandoned: Abandoned = (name) => this.opts.shared?.abandoned(name) ?? Promise.resolve(true);

  private get pool(): RbdPool {
    return this.poolNamed(this.opts.pool);
  }

  private poolNamed(name: string): RbdPool {
    if (!this.rados) throw new Error("ceph driver is not open");
    return this.rados.pool(name);
  }

  async open(): Promise<StoredState> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    const { conf, user, keyring, pool } = this.opts;
    this.rados = await mapped(`Ceph cluster (${conf})`, () => Rados.connect({ conf, user, ...(keyring ? { keyring } : {}) }));
    // Which cluster this is, in one line: what an operator compares with `ceph fsid` and the target hosts' lines.
    this.opts.log.info({ fsid: this.rados.fsid(), pool, user: `client.${user}`, conf, keyring: keyring || "(as ceph.conf names it, or the default path)" }, "Ceph cluster");
    const { state, stuck } = await mapped(`pool ${pool}`, () => scanPool(this.pool, `ceph:${pool}`, (rbd) => this.backing(rbd), this.opts.log, this.abandoned));
    if (stuck.length > 0 && !this.opts.shared) this.sweeper = sweepLater(() => this.pool, stuck, SWEEP_MS);
    return state;
  }

  /**
   * Several instances: removes the tmp~ images of dead instances (called on a timer, so a crashed instance's
   * leftovers go without a restart) and answers every name in the pool, for the catalog to catch up with. `disks`
   * (when an instance has died since the last sweep): every disk's snapshots too, which takes one open per disk.
   */
  async sweep(disks = false): Promise<string[]> {
    const names = await mapped(`pool ${this.opts.pool}`, () => this.pool.list());
    await sweepNames(this.pool, names, this.opts.log, this.abandoned);
    if (disks) await sweepDiskSnapshots(this.pool, names, this.opts.log, this.abandoned);
    return names;
  }

  /** The kind and ref a name in the pool stands for; undefined for names that are not BMI's. */
  parse(rbdName: string): ReturnType<typeof parseName> {
    return parseName(rbdName);
  }

  /** An image's or disk's record as the pool has it now; undefined when it is not there. Removes nothing. */
  async find(kind: "image" | "disk", ref: Ref): Promise<ImageRecord | DiskRecord | undefined> {
    const rbd = kind === "image" ? imageName(ref) : diskName(ref);
    return mapped(`${kind} ${refKey(ref)}`, () =>
      readRecord(this.pool, kind, rbd, ref, `ceph:${this.opts.pool}`, this.backing(rbd), this.opts.log, async () => false));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.rados?.shutdown();
    this.rados = undefined;
  }

  async writeImage(image: NewImage, data: ImageData): Promise<ImageRecord> {
    if (data.format === "raw") return this.writer.build(image, data.sizeBytes, data.chunks);
    const qcow2 = path.join(this.tmpDir, `${newId()}.qcow2`);
    try {
      await writeSparse(qcow2, data.chunks);
      return await this.writer.importQcow2(image, qcow2, data.virtualSize);
    } finally {
      await rm(qcow2, { force: true });
    }
  }

  async importImage(image: NewImage, source: CephSource, maxBytes: number): Promise<ImageRecord> {
    const what = `Ceph image ${source.pool}/${source.image}${source.snapshot ? `@${source.snapshot}` : ""}`;
    const from = await mapped(what, () => this.poolNamed(source.pool).open(source.image, {
      readOnly: true, ...(source.snapshot ? { snapshot: source.snapshot } : {}),
    }));
    try {
      const size = await from.size();
      if (size > maxBytes) throw new InvalidArgumentError(`${what} has ${size} bytes, over the limit of ${maxBytes} (BMI_IMAGE_MAX_VIRTUAL_SIZE)`);
      return await this.writer.finish(image, async (tmp) => {
        if (source.snapshot) await this.writer.cloneFlat(this.poolNamed(source.pool), source.image, source.snapshot, tmp);
        else await this.pool.copyFrom(from, tmp);
        return hashImage(this.pool, tmp);
      });
    } finally {
      await from.close();
    }
  }

  readImage(ref: Ref): AsyncIterable<Buffer> {
    return readImage(this.pool, imageName(ref), BASE_SNAPSHOT);
  }

  async copyImage(source: Ref, image: NewImage): Promise<ImageRecord> {
    const what = `image ${refKey(source)}`;
    return this.writer.finish(image, (tmp) => mapped(what, () => this.pool.with(imageName(source), { snapshot: BASE_SNAPSHOT, readOnly: true },
      async (src) => {
        await this.pool.copyFrom(src, tmp);
        return (await this.meta(src)).checksum;
      })));
  }

  async renameImage(ref: Ref, newName: string): Promise<void> {
    const to = { project: ref.project, name: newName };
    await mapped(`image ${refKey(to)}`, async () => {
      await mapped(`image ${refKey(ref)}`, () => this.pool.open(imageName(ref), { readOnly: true }).then((i) => i.close()));
      await this.fence();
      await this.pool.rename(imageName(ref), imageName(to));
    });
  }

  async setPublic(ref: Ref, isPublic: boolean): Promise<void> {
    await mapped(`image ${refKey(ref)}`, () => this.pool.with(imageName(ref), {}, async (img) => {
      const meta = await this.meta(img);
      await this.fence();
      await img.metadataSet(META_KEY, JSON.stringify({ ...meta, public: isPublic }));
    }));
  }

  async deleteImage(ref: Ref): Promise<void> {
    const name = imageName(ref);
    const children = await mapped(`image ${refKey(ref)}`, () =>
      this.pool.with(name, { snapshot: BASE_SNAPSHOT, readOnly: true }, (img) => img.childCount()));
    if (children > 0) throw new FailedPreconditionError(`image ${refKey(ref)} has ${children} disk(s)`);
    await this.removeVia(name, `image ${refKey(ref)}`);
  }

  async createDisk(ref: Ref, image: ImageRecord): Promise<DiskRecord> {
    const tmp = this.tmp();
    await mapped(`image ${refKey(image)}`, () => this.pool.clone(imageName(image), BASE_SNAPSHOT, tmp));
    try {
      await this.fence();
      await mapped(`disk ${refKey(ref)}`, () => this.pool.rename(tmp, diskName(ref)));
    } catch (err) {
      await discard(this.pool, tmp);
      throw err;
    }
    return { ...ref, image: refKey(image), created: new Date(), sizeBytes: image.sizeBytes, backing: this.backing(diskName(ref)) };
  }

  async deleteDisk(ref: Ref): Promise<void> {
    await this.removeVia(diskName(ref), `disk ${refKey(ref)}`);
  }

  async snapshotDisk(disk: Ref, image: NewImage): Promise<ImageRecord> {
    const name = diskName(disk);
    const snap = this.tmp();
    await mapped(`disk ${refKey(disk)}`, () => this.pool.with(name, {}, (img) => img.snapCreate(snap)));
    try {
      return await this.writer.finish(image, async (tmp) => {
        await this.writer.cloneFlat(this.pool, name, snap, tmp);
        return hashImage(this.pool, tmp);
      });
    } finally {
      // Left behind only if Ceph fails right here; the next start removes tmp~ snapshots.
      await this.pool.with(name, {}, (img) => img.snapRemove(snap))
        .catch((err: unknown) => this.opts.log.error({ err, disk: name, snap }, "tmp snapshot not removed"));
    }
  }

  /**
   * Renames to tmp~ first, so a removal cut short by a crash is finished at the next start, never half-visible.
   * Snapshots (an image's base, a disk's leftover tmp~ one) are removed only when the plain removal finds some.
   */
  private async removeVia(name: string, what: string): Promise<void> {
    const tmp = this.tmp();
    await this.fence();
    await mapped(what, () => this.pool.rename(name, tmp));
    try {
      await mapped(what, () => this.pool.remove(tmp).catch((err: unknown) => {
        if ((err as CephError).errno !== ERRNO.ENOTEMPTY) throw err;
        return discard(this.pool, tmp);
      }));
    } catch (err) {
      await this.pool.rename(tmp, name).catch(() => undefined);
      throw err;
    }
  }

  private async meta(img: RbdImage): Promise<CephImageMeta> {
    const raw = await img.metadataGet(META_KEY);
    if (!raw) throw new NotFoundError(`image ${img.name} has no BMI metadata`);
    return JSON.parse(raw) as CephImageMeta;
  }

  private backing(rbdImage: string): Backing {
    return { kind: "rbd", pool: this.opts.pool, image: rbdImage, cephConf: this.opts.conf, user: this.opts.user };
  }
}
