import { CephError, ERRNO, check, cstr } from "@bmi/ceph";
import type { Ptr, RbdLib } from "./rbd-lib";

/** An open image; close it (RbdPool.with does). */
export class RbdImage {
  constructor(private readonly lib: RbdLib, readonly name: string, readonly handle: Ptr) {}

  async close(): Promise<void> {
    check(`close ${this.name}`, await this.lib.close(this.handle));
  }

  async size(): Promise<number> {
    const out: [bigint | number] = [0];
    check(`size of ${this.name}`, await this.lib.getSize(this.handle, out));
    return Number(out[0]);
  }

  async createdAt(): Promise<Date> {
    const ts = Buffer.alloc(16);
    check(`create timestamp of ${this.name}`, await this.lib.createTimestamp(this.handle, ts));
    return new Date(Number(ts.readBigInt64LE(0)) * 1000 + Math.floor(Number(ts.readBigInt64LE(8)) / 1e6));
  }

  /** The parent image's name and snapshot, or undefined for an image that is not a clone. */
  async parent(): Promise<{ pool: string; image: string; snapshot: string } | undefined> {
    const [pool, image, id, snap] = [256, 256, 64, 256].map((n) => Buffer.alloc(n)) as [Buffer, Buffer, Buffer, Buffer];
    const rc = await this.lib.parentInfo2(this.handle, pool, 256, image, 256, id, 64, snap, 256);
    if (rc === -ERRNO.ENOENT) return undefined;
    check(`parent of ${this.name}`, rc);
    return { pool: cstr(pool), image: cstr(image), snapshot: cstr(snap) };
  }

  async metadataGet(key: string): Promise<string | undefined> {
    for (let size = 4096; ;) {
      const buf = Buffer.alloc(size);
      const len: [number] = [size];
      const rc = await this.lib.metadataGet(this.handle, key, buf, len);
      if (rc === -ERRNO.ENOENT) return undefined;
      if (rc === -ERRNO.ERANGE) { size = Math.max(len[0], size * 2); continue; }
      check(`metadata ${key} of ${this.name}`, rc);
      return cstr(buf);
    }
  }

  async metadataSet(key: string, value: string): Promise<void> {
    check(`set metadata ${key} of ${this.name}`, await this.lib.metadataSet(this.handle, key, value));
  }

  async snapCreate(snap: string): Promise<void> {
    check(`snapshot ${this.name}@${snap}`, await this.lib.snapCreate(this.handle, snap));
  }

  async snapRemove(snap: string): Promise<void> {
    check(`remove snapshot ${this.name}@${snap}`, await this.lib.snapRemove(this.handle, snap));
  }

  async snapList(): Promise<string[]> {
    for (let max = 16; ;) {
      const buf = Buffer.alloc(max * this.lib.snapInfoSize);
      const n: [number] = [max];
      const rc = await this.lib.snapList(this.handle, buf, n);
      if (rc === -ERRNO.ERANGE) { max = Math.max(n[0], max * 2); continue; }
      check(`snapshots of ${this.name}`, rc);
      const names: string[] = [];
      for (let i = 0; i < rc; i++) names.push(this.lib.decodeSnapInfo(buf, i * this.lib.snapInfoSize).name);
      this.lib.snapListEnd(buf);
      return names;
    }
  }

  /** How many clones hang off the snapshot this image was opened at. */
  async childCount(): Promise<number> {
    const pools = Buffer.alloc(1);
    const images = Buffer.alloc(1);
    const rc = await this.lib.listChildren(this.handle, pools, [1], images, [1]);
    if (rc === -ERRNO.ERANGE) return 1; // at least one: the names did not fit
    return check(`children of ${this.name}`, rc);
  }

  /** Copies everything the parent provides into this clone and detaches it from the parent. */
  async flatten(): Promise<void> {
    check(`flatten ${this.name}`, await this.lib.flatten(this.handle));
  }

  async read(offset: number, buf: Buffer): Promise<number> {
    return check(`read ${this.name}`, await this.lib.read(this.handle, BigInt(offset), buf.length, buf));
  }

  async write(offset: number, buf: Buffer): Promise<void> {
    const n = check(`write ${this.name}`, await this.lib.write(this.handle, BigInt(offset), buf.length, buf));
    if (n !== buf.length) throw new CephError(`short write to ${this.name}`, ERRNO.EIO);
  }
}
