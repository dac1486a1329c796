/**
 * What the image library needs from a storage back end (drivers/local/, drivers/ceph/). The back end is the
 * source of truth: every record here is read back from the data and its metadata, never from a database.
 * Nothing in this file knows about gRPC.
 */

/** An image or disk is named by its project and its own name ("project/name" in messages). */
export interface Ref {
  project: string;
  name: string;
}

export interface ImageRecord extends Ref {
  sizeBytes: number;
  /** sha256 of the raw content, hex. */
  checksum: string;
  /** "project/name" of the image this one was copied or snapshotted from, at that time; "" if none. */
  parent: string;
  created: Date;
  public: boolean;
  /** For snapshots: "project/name" of the disk it was taken from; "" otherwise. */
  sourceDisk: string;
  /** Where it is stored: "local" (image-service's own files) or "ceph:<pool>". */
  backend: string;
}

/** Where a disk's bytes are, as target-service exports them. */
export type Backing =
  | { kind: "file"; path: string }
  | { kind: "rbd"; pool: string; image: string; cephConf: string; user: string };

export interface DiskRecord extends Ref {
  /** "project/name" of the image the disk is a copy-on-write clone of. */
  image: string;
  created: Date;
  sizeBytes: number;
  backing: Backing;
}

export type ImageFormat = "raw" | "qcow2";

/** What the library decides about an image before the driver writes it; the driver adds size and checksum. */
export interface NewImage extends Ref {
  created: Date;
  public: boolean;
  parent: string;
  sourceDisk: string;
}

/**
 * Bytes to turn into an image, inspected by the library (intake.ts): raw, or qcow2 with no backing or data file and
 * `virtualSize` in its header. `checksum` is given when the library has verified the raw content already.
 */
export interface ImageData {
  format: ImageFormat;
  sizeBytes: number;
  virtualSize: number;
  chunks: AsyncIterable<Buffer>;
  checksum?: string;
}

export type CephSource = { kind: "ceph"; pool: string; image: string; snapshot: string };
export type ImportSource = { kind: "file"; path: string; format: ImageFormat | undefined } | CephSource;

/** Everything a driver found in storage when it opened, after removing what crashed operations left behind. */
export interface StoredState {
  images: ImageRecord[];
  disks: DiskRecord[];
}

/**
 * A storage back end. Each method is atomic as seen from outside: a new image or disk appears under its name only
 * once it is complete (written under a temporary name, then renamed), and a crash at any point leaves only
 * temporaries that `open()` removes. Methods throw @bmi/errors domain errors for conditions a caller can act on.
 */
export interface StorageDriver {
  readonly kind: "local" | "ceph";
  /** Connects, reconciles leftovers of interrupted operations, and answers what is stored. */
  open(): Promise<StoredState>;
  /** Releases connections and helper processes. */
  close(): Promise<void>;

  writeImage(image: NewImage, data: ImageData): Promise<ImageRecord>;
  /** A copy of a Ceph image (files are read by the library and written with writeImage); INVALID_ARGUMENT over `maxBytes`. */
  importImage(image: NewImage, source: CephSource, maxBytes: number): Promise<ImageRecord>;
  /** The raw content, in order. */
  readImage(ref: Ref): AsyncIterable<Buffer>;
  /** A deep copy, independent of the source. */
  copyImage(source: Ref, image: NewImage): Promise<ImageRecord>;
  renameImage(ref: Ref, newName: string): Promise<void>;
  setPublic(ref: Ref, isPublic: boolean): Promise<void>;
  deleteImage(ref: Ref): Promise<void>;

  /** A copy-on-write clone of `image`, exported so that target-service can serve it. */
  createDisk(ref: Ref, image: ImageRecord): Promise<DiskRecord>;
  deleteDisk(ref: Ref): Promise<void>;
  /** A flattened copy of the disk's current content as a new image, independent of the disk. */
  snapshotDisk(disk: Ref, image: NewImage): Promise<ImageRecord>;
}

export function refKey(ref: Ref): string {
  return `${ref.project}/${ref.name}`;
}
