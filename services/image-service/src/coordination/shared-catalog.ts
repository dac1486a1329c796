import type { Logger } from "@bmi/log";
import type { Redis } from "@bmi/redis";
import { isName } from "@bmi/validate";
import type { Catalog } from "../catalog";
import { refKey, type DiskRecord, type ImageRecord, type Ref } from "../storage";

export type Kind = "image" | "disk";

/** What the shared catalog needs from the storage (the Ceph driver): one record now, and every name on a timer. */
export interface PoolReader {
  find(kind: Kind, ref: Ref): Promise<ImageRecord | DiskRecord | undefined>;
  /** Removes abandoned leftovers (with `disks`, those on every disk too) and answers every name in the pool. */
  sweep(disks: boolean): Promise<string[]>;
  /** The kind and ref a name in the pool stands for; undefined for names that are not BMI's. */
  parse(name: string): { kind: Kind; ref: Ref } | undefined;
}

/** What the image library asks of the catalog's sharing: nothing at all with one instance (see ImageLibrary). */
export interface SharedView {
  /** Reads `ref` from storage into the catalog: another instance may have changed it. */
  refresh(kind: Kind, ref: Ref): Promise<void>;
  /** Tells the other instances that `ref` changed here (for a rename, `renamedTo` is the image's new name). */
  changed(kind: Kind, ref: Ref, renamedTo?: string): Promise<void>;
}

interface Change {
  from: string;
  kind: Kind;
  project: string;
  name: string;
  renamedTo?: string;
}

/**
 * Keeps this instance's catalog in step with a pool that other instances change too. The pool stays the only
 * truth: a change message names what changed and the receiver reads it from the pool (nothing in a message is taken
 * as a record), a decision under a lock reads its names from the pool first (ImageLibrary), and a sweep on a timer
 * compares every name in the pool with the catalog, which repairs what a lost message (Redis pub/sub keeps nothing
 * for a disconnected subscriber) left behind. Reads of one ref are serialized, so an older read never lands after a
 * newer one.
 */
export class SharedCatalog implements SharedView {
  private readonly chains = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  private constructor(
    private readonly redis: Redis, private readonly channel: string, private readonly instance: string,
    private readonly pool: PoolReader, private readonly catalog: Catalog, private readonly log: Logger,
    private readonly someoneDied: () => Promise<boolean>,
  ) {}

  /** Subscribes to the pool's changes and sweeps every `sweepMs`; `sub` is a connection of its own (it only listens). */
  static async start(opts: {
    redis: Redis; sub: Redis; channel: string; instance: string; pool: PoolReader; catalog: Catalog; log: Logger; sweepMs: number;
    /** Whether an instance died since the last call: then the sweep looks at every disk's snapshots too. */
    someoneDied: () => Promise<boolean>;
  }): Promise<SharedCatalog> {
    const s = new SharedCatalog(opts.redis, opts.channel, opts.instance, opts.pool, opts.catalog, opts.log, opts.someoneDied);
    opts.sub.on("message", (channel: string, text: string) => {
      if (channel === opts.channel) s.received(text);
    });
    await opts.sub.subscribe(opts.channel);
    s.timer = setInterval(() => { s.sweeping ??= s.sweep().finally(() => { s.sweeping = undefined; }); }, opts.sweepMs);
    s.timer.unref();
    return s;
  }

  refresh(kind: Kind, ref: Ref): Promise<void> {
    const key = `${kind}:${refKey(ref)}`;
    const next = (this.chains.get(key) ?? Promise.resolve()).then(async () => {
      const record = await this.pool.find(kind, ref);
      if (kind === "image") {
        if (record) this.catalog.putImage(record as ImageRecord);
        else this.catalog.removeImage(ref);
      } else if (record) this.catalog.putDisk(record as DiskRecord);
      else this.catalog.removeDisk(ref);
    });
    const settled = next.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => { if (this.chains.get(key) === settled) this.chains.delete(key); });
    return next;
  }

  async changed(kind: Kind, ref: Ref, renamedTo?: string): Promise<void> {
    const change: Change = { from: this.instance, kind, project: ref.project, name: ref.name, ...(renamedTo ? { renamedTo } : {}) };
    // The change is in the pool already: a message that cannot be sent only delays the others until their sweep.
    await this.redis.publish(this.channel, JSON.stringify(change))
      .catch((err: unknown) => this.log.warn({ err, kind, ref: refKey(ref) }, "change not announced; others see it at their next sweep"));
  }

  /** Compares every BMI name in the pool with the catalog and reads what differs. */
  async sweep(): Promise<void> {
    try {
      const names = await this.pool.sweep(await this.someoneDied());
      const inPool = new Set<string>();
      const reads: Array<Promise<void>> = [];
      for (const name of names) {
        const p = this.pool.parse(name);
        if (!p) continue;
        inPool.add(`${p.kind}:${refKey(p.ref)}`);
        const known = p.kind === "image" ? this.catalog.image(p.ref) : this.catalog.disk(p.ref);
        if (!known) reads.push(this.refresh(p.kind, p.ref));
      }
      for (const kind of ["image", "disk"] as const) {
        for (const ref of this.catalog.refs(kind)) if (!inPool.has(`${kind}:${refKey(ref)}`)) reads.push(this.refresh(kind, ref));
      }
      await Promise.all(reads);
    } catch (err) {
      this.log.warn({ err }, "sweep of the pool failed; the next one retries");
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
    await Promise.all([...this.chains.values()]);
  }

  private received(text: string): void {
    let c: Change;
    try {
      c = JSON.parse(text) as Change;
    } catch {
      return;
    }
    if (c.from === this.instance || (c.kind !== "image" && c.kind !== "disk") || !isName(c.project) || !isName(c.name)) return;
    const ref = { project: c.project, name: c.name };
    const fail = (err: unknown) => this.log.warn({ err, kind: c.kind, ref: refKey(ref) }, "change not read; the next sweep retries");
    if (c.renamedTo !== undefined && isName(c.renamedTo)) {
      // The image's disks name it by its new name from now on (what the pool says of them, too).
      this.catalog.renameImage(ref, c.renamedTo);
      void this.refresh("image", { project: c.project, name: c.renamedTo }).catch(fail);
    }
    void this.refresh(c.kind, ref).catch(fail);
  }
}
