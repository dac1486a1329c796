import { CephCluster, ERRNO, check, type CephClientOptions } from "@bmi/ceph";
import { RbdImage } from "./rbd-image";
import { rbdLib, type Ptr, type RbdLib } from "./rbd-lib";
import { timed } from "@bmi/metrics";
import { backendSeconds } from "../backend-metrics";

export { CephError, ERRNO } from "@bmi/ceph";
export { RbdImage } from "./rbd-image";

// layering | exclusive-lock | object-map | fast-diff | deep-flatten: object-map and fast-diff make removing and
// copying sparse images fast; exclusive-lock is what object-map needs.
const FEATURES = 1n | 4n | 8n | 16n | 32n;
const OPT_FEATURES = 1;
const OPT_CLONE_FORMAT = 12;

/** One long-lived cluster connection; image operations go through `pool()`. */
export class Rados {
  private readonly pools = new Map<string, RbdPool>();
  private constructor(private readonly lib: RbdLib, private readonly cluster: CephCluster) {}

  static async connect(opts: CephClientOptions): Promise<Rados> {
    return new Rados(rbdLib(), await CephCluster.connect(opts));
  }

  /** The cluster's id, for the start-up log line. */
  fsid(): string {
    return this.cluster.fsid();
  }

  pool(name: string): RbdPool {
    let pool = this.pools.get(name);
    if (!pool) {
      pool = new RbdPool(this.lib, this.cluster.openPool(name));
      this.pools.set(name, pool);
    }
    return pool;
  }

  async shutdown(): Promise<void> {
    for (const pool of this.pools.values()) this.cluster.closePool(pool.io);
    this.pools.clear();
    await this.cluster.shutdown();
  }
}

/** The image calls of one pool (a rados io context). */
export class RbdPool {
  constructor(private readonly lib: RbdLib, readonly io: Ptr) {}

  async list(): Promise<string[]> {
    for (let size = 64 * 1024; ;) {
      const buf = Buffer.alloc(size);
      const len: [number] = [size];
      const rc = await this.lib.list(this.io, buf, len);
      if (rc === -ERRNO.ERANGE) { size = Math.max(len[0], size * 2); continue; }
      check("rbd_list", rc);
      return buf.subarray(0, rc).toString("utf8").split("\0").filter((n) => n !== "");
    }
  }

  async create(name: string, sizeBytes: number): Promise<void> {
    await rbdOp("create", () =>
      this.withOptions(false, async (opts) => check(`create ${name}`, await this.lib.create4(this.io, name, BigInt(sizeBytes), opts))));
  }

  /** Clone format 2: the parent snapshot needs no protection. */
  async clone(parent: string, snapshot: string, child: string, into: RbdPool = this): Promise<void> {
    await rbdOp("clone", () => this.withOptions(true, async (opts) =>
      check(`clone ${parent}@${snapshot} to ${child}`, await this.lib.clone3(this.io, parent, snapshot, into.io, child, opts))));
  }

  async remove(name: string): Promise<void> {
    await rbdOp("remove", async () => check(`remove ${name}`, await this.lib.remove(this.io, name)));
  }

  async rename(from: string, to: string): Promise<void> {
    await rbdOp("rename", async () => check(`rename ${from} to ${to}`, await this.lib.rename(this.io, from, to)));
  }

  async open(name: string, opts: { snapshot?: string; readOnly?: boolean } = {}): Promise<RbdImage> {
    const out: [Ptr | null] = [null];
    const fn = opts.readOnly ? this.lib.openReadOnly : this.lib.open;
    check(`open ${name}${opts.snapshot ? `@${opts.snapshot}` : ""}`, await fn(this.io, name, out, opts.snapshot ?? null));
    return new RbdImage(this.lib, name, out[0] as Ptr);
  }

  /** Opens, runs `fn`, always closes. */
  async with<T>(name: string, opts: { snapshot?: string; readOnly?: boolean }, fn: (image: RbdImage) => Promise<T>): Promise<T> {
    const image = await this.open(name, opts);
    try {
      return await fn(image);
    } finally {
      await image.close();
    }
  }

  /**
   * Copies the content `source` shows into a new image. Not for a snapshot of a clone: librbd 16 copies only the
   * clone's own objects then (the parent's data is lost); clone + flatten that snapshot instead.
   */
  async copyFrom(source: RbdImage, name: string): Promise<void> {
    // The sparse size makes librbd skip all-zero 64 KiB runs, so copies of sparse images stay sparse.
    await rbdOp("copy", () => this.withOptions(false, async (opts) =>
      check(`copy ${source.name} to ${name}`, await this.lib.copy4(source.handle, this.io, name, opts, 64 * 1024))));
  }

  // Options are made per call: librbd writes defaults into them, so sharing one across threads would race.
  private async withOptions<T>(clone: boolean, fn: (opts: Ptr) => Promise<T>): Promise<T> {
    const out: [Ptr | null] = [null];
    this.lib.optsCreate(out);
    const opts = out[0] as Ptr;
    try {
      check("features option", this.lib.optsSetU64(opts, OPT_FEATURES, FEATURES));
      if (clone) check("clone format option", this.lib.optsSetU64(opts, OPT_CLONE_FORMAT, 2n));
      return await fn(opts);
    } finally {
      this.lib.optsDestroy(opts);
    }
  }
}

const rbdOp = <T>(op: string, fn: () => Promise<T>): Promise<T> => timed(backendSeconds, { backend: "librbd", op }, fn);
