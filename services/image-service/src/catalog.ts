import { InvalidArgumentError } from "@bmi/errors";
import { refKey, type DiskRecord, type ImageRecord, type Ref, type StoredState } from "./storage";

/** An image as callers see it: the stored record plus what depends on it. */
export interface ImageInfo extends ImageRecord {
  diskCount: number;
  /** Snapshots taken from disks of this image (they are flattened: they do not keep it alive). */
  snapshotCount: number;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 10_000;

/**
 * The in-memory index of what storage holds, rebuilt from the driver at every start and updated after each
 * successful change. It only makes reads fast: storage stays the source of truth. With several instances on one
 * Ceph pool each keeps its own, brought up to date from the pool (coordination/shared-catalog.ts).
 */
export class Catalog {
  private readonly images = new Map<string, ImageRecord>();
  private readonly disks = new Map<string, DiskRecord>();
  private sortedImages: string[] | undefined;

  constructor(state: StoredState) {
    for (const i of state.images) this.images.set(refKey(i), i);
    for (const d of state.disks) this.disks.set(refKey(d), d);
  }

  image(ref: Ref): ImageRecord | undefined {
    return this.images.get(refKey(ref));
  }

  disk(ref: Ref): DiskRecord | undefined {
    return this.disks.get(refKey(ref));
  }

  putImage(image: ImageRecord): void {
    if (!this.images.has(refKey(image))) this.sortedImages = undefined;
    this.images.set(refKey(image), image);
  }

  removeImage(ref: Ref): void {
    this.images.delete(refKey(ref));
    this.sortedImages = undefined;
  }

  /** A rename: the image's disks now name the new image. */
  renameImage(ref: Ref, newName: string): void {
    const image = this.images.get(refKey(ref));
    if (!image) return;
    this.removeImage(ref);
    this.putImage({ ...image, name: newName });
    const from = refKey(ref);
    const to = refKey({ project: ref.project, name: newName });
    for (const d of this.disks.values()) if (d.image === from) this.disks.set(refKey(d), { ...d, image: to });
  }

  putDisk(disk: DiskRecord): void {
    this.disks.set(refKey(disk), disk);
  }

  removeDisk(ref: Ref): void {
    this.disks.delete(refKey(ref));
  }

  /** Every image's or disk's ref, for a sweep that compares the catalog with storage. */
  refs(kind: "image" | "disk"): Ref[] {
    return [...(kind === "image" ? this.images : this.disks).values()].map(({ project, name }) => ({ project, name }));
  }

  disksOf(project: string): DiskRecord[] {
    return [...this.disks.values()].filter((d) => d.project === project).sort(byKey);
  }

  /** What a project holds, for its quotas: images are full copies, disks count their virtual size only. */
  usage(project: string): { images: number; disks: number; virtual_bytes: number; stored_bytes: number } {
    const u = { images: 0, disks: 0, virtual_bytes: 0, stored_bytes: 0 };
    for (const i of this.images.values()) {
      if (i.project !== project) continue;
      u.images++;
      u.stored_bytes += i.sizeBytes;
    }
    for (const d of this.disks.values()) {
      if (d.project !== project) continue;
      u.disks++;
      u.virtual_bytes += d.sizeBytes;
    }
    u.virtual_bytes += u.stored_bytes;
    return u;
  }

  diskCount(image: Ref): number {
    const key = refKey(image);
    let n = 0;
    for (const d of this.disks.values()) if (d.image === key) n++;
    return n;
  }

  /** Images that `include` accepts, in name order, one page after `pageToken`. */
  listImages(include: (image: ImageRecord) => boolean, pageSize: number, pageToken: string): Page<ImageInfo> {
    const size = pageSize <= 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
    const after = decodeToken(pageToken);
    this.sortedImages ??= [...this.images.keys()].sort();
    const counts = this.counts();
    const items: ImageInfo[] = [];
    let i = after === "" ? 0 : upperBound(this.sortedImages, after);
    for (; i < this.sortedImages.length && items.length < size; i++) {
      const image = this.images.get(this.sortedImages[i] as string);
      if (image && include(image)) items.push(this.withCounts(image, counts));
    }
    const more = this.sortedImages.slice(i).some((k) => include(this.images.get(k) as ImageRecord));
    const last = items[items.length - 1];
    return { items, nextPageToken: more && last ? encodeToken(refKey(last)) : "" };
  }

  info(image: ImageRecord): ImageInfo {
    return this.withCounts(image, this.counts());
  }

  private withCounts(image: ImageRecord, counts: { disks: Map<string, number>; snaps: Map<string, number> }): ImageInfo {
    const key = refKey(image);
    return { ...image, diskCount: counts.disks.get(key) ?? 0, snapshotCount: counts.snaps.get(key) ?? 0 };
  }

  private counts(): { disks: Map<string, number>; snaps: Map<string, number> } {
    const disks = new Map<string, number>();
    const snaps = new Map<string, number>();
    for (const d of this.disks.values()) disks.set(d.image, (disks.get(d.image) ?? 0) + 1);
    for (const i of this.images.values()) if (i.sourceDisk) snaps.set(i.parent, (snaps.get(i.parent) ?? 0) + 1);
    return { disks, snaps };
  }
}

function byKey(a: { project: string; name: string }, b: { project: string; name: string }): number {
  const x = refKey(a);
  const y = refKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Index of the first element greater than `key`. */
function upperBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as string) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encodeToken(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

function decodeToken(token: string): string {
  if (token === "") return "";
  const key = Buffer.from(token, "base64url").toString("utf8");
  if (!/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/.test(key)) throw new InvalidArgumentError("page_token is invalid");
  return key;
}
