import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "@bmi/log";
import { newId, readJson } from "../files";

/** What the local driver keeps beside each image file (images/ID.json); names live here, not in file names. */
export interface ImageSidecar {
  id: string;
  project: string;
  name: string;
  sizeBytes: number;
  checksum: string;
  parent: string;
  created: string;
  public: boolean;
  sourceDisk: string;
}

/** Beside each disk overlay (disks/ID.json). The overlay's backing file is images/IMAGEID.raw. */
export interface DiskSidecar {
  id: string;
  project: string;
  name: string;
  imageId: string;
  created: string;
  sizeBytes: number;
}

/**
 * Where everything lives under the data directory. Files are named by immutable ids, so renaming an image is a
 * metadata change and never breaks the backing-file path inside a disk's qcow2 header.
 *   images/ID.raw + ID.json   golden images (raw, sparse) and their metadata
 *   disks/ID.qcow2 + ID.json  copy-on-write overlays on an image, and their metadata
 *   exports/ID.raw            FUSE raw view of disks/ID.qcow2, served by qemu-storage-daemon (what tgtd opens)
 *   tmp/                      work in progress; emptied at every start
 *   qsd/                      the storage daemons' PID files and QMP sockets (qsd/, qsd/1/, ...), and
 *   qsd/mountpoint            an empty file: each exports/ID.raw is made as a hard link to it (a FUSE export mounts
 *                             over an existing file; a link is one cheap system call, a new file a new inode)
 */
export class LocalLayout {
  readonly images: string;
  readonly disks: string;
  readonly exports: string;
  readonly tmpDir: string;
  readonly qsd: string;
  /** The empty file every export's mount point is a hard link of. */
  readonly mountSource: string;

  constructor(readonly root: string) {
    this.images = path.join(root, "images");
    this.disks = path.join(root, "disks");
    this.exports = path.join(root, "exports");
    this.tmpDir = path.join(root, "tmp");
    this.qsd = path.join(root, "qsd");
    this.mountSource = path.join(this.qsd, "mountpoint");
  }

  imageFile(id: string): string { return path.join(this.images, `${id}.raw`); }
  imageMeta(id: string): string { return path.join(this.images, `${id}.json`); }
  diskFile(id: string): string { return path.join(this.disks, `${id}.qcow2`); }
  diskMeta(id: string): string { return path.join(this.disks, `${id}.json`); }
  exportFile(id: string): string { return path.join(this.exports, `${id}.raw`); }
  /** A fresh, unique temporary path. */
  tmp(suffix: string): string { return path.join(this.tmpDir, `${newId()}.${suffix}`); }
  /** A disk overlay names its image relative to itself; tmp/ and disks/ are siblings of images/. */
  backingPath(imageId: string): string { return `../images/${imageId}.raw`; }

  /** Creates the directories and empties tmp/ (leftovers of operations a crash interrupted). */
  async prepare(): Promise<void> {
    for (const dir of [this.images, this.disks, this.exports, this.tmpDir, this.qsd]) await mkdir(dir, { recursive: true });
    for (const f of await readdir(this.tmpDir)) await rm(path.join(this.tmpDir, f), { recursive: true, force: true });
    await writeFile(this.mountSource, "", { flag: "a" });
  }
}

/**
 * Reads every sidecar. A data file without its sidecar was being created or deleted when the service died (the
 * sidecar is written last and removed first), as is a sidecar's own temporary file: both are removed.
 */
export async function scanLocal(layout: LocalLayout, log: Logger): Promise<{ images: ImageSidecar[]; disks: DiskSidecar[] }> {
  const images = await scanDir<ImageSidecar>(layout.images, ".raw", log);
  const imageIds = new Set(images.map((i) => i.id));
  const disks = (await scanDir<DiskSidecar>(layout.disks, ".qcow2", log)).filter((d) => {
    if (imageIds.has(d.imageId)) return true;
    log.error({ disk: d }, "disk without its image: ignored");
    return false;
  });
  return { images, disks };
}

async function scanDir<T extends { id: string }>(dir: string, dataExt: string, log: Logger): Promise<T[]> {
  const names = await readdir(dir);
  const present = new Set(names);
  const out: T[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith(".tmp")) {
      await rm(file, { force: true });
    } else if (name.endsWith(dataExt) && !present.has(name.slice(0, -dataExt.length) + ".json")) {
      log.warn({ file }, "removing a leftover of an interrupted operation");
      await rm(file, { force: true });
    } else if (name.endsWith(".json")) {
      const record = (await readJson(file).catch(() => undefined)) as T | undefined;
      if (record && present.has(name.slice(0, -".json".length) + dataExt)) out.push(record);
      else log.error({ file }, "metadata without readable data or unreadable metadata: ignored");
    }
  }
  return out;
}
