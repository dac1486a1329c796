import type { Logger } from "@bmi/log";
import { refKey, type Backing, type DiskRecord, type ImageRecord, type Ref, type StoredState } from "../../storage";
import { BASE_SNAPSHOT, META_KEY, isTmp, parseName, type CephImageMeta } from "./names";
import type { RbdPool } from "./rbd";

const PARALLEL = 8;

/**
 * Reads every BMI image and disk in the pool (metadata, size, parent) and removes what interrupted operations left:
 * tmp~ images (half-built images, disks or snapshots, or half-removed ones) and tmp~ snapshots on disks. Answers
 * the tmp~ images that could not be removed yet (`stuck`).
 */
export async function scanPool(
  pool: RbdPool, backend: string, backing: (rbdImage: string) => Backing, log: Logger,
): Promise<{ state: StoredState; stuck: string[] }> {
  const names = await pool.list();
  const stuck: string[] = [];
  await eachLimit(names.filter(isTmp), async (name) => {
    log.warn({ image: name }, "removing a leftover of an interrupted operation");
    // A crashed client's watch keeps its image busy until the OSD times the watch out: retried later.
    await discard(pool, name).catch((err: unknown) => { log.warn({ err, image: name }, "leftover busy, retrying later"); stuck.push(name); });
  });
  const images: ImageRecord[] = [];
  const disks: DiskRecord[] = [];
  const parsed = names.map((n) => ({ rbd: n, parsed: parseName(n) }));
  await eachLimit(parsed, async ({ rbd, parsed: p }) => {
    if (p?.kind === "image") {
      const image = await readImage(pool, rbd, p.ref, log);
      if (image) images.push({ ...image, backend });
    } else if (p?.kind === "disk") {
      disks.push(await readDisk(pool, rbd, p.ref, backing(rbd), log));
    }
  });
  return { state: { images, disks }, stuck };
}

async function readImage(pool: RbdPool, rbd: string, ref: Ref, log: Logger): Promise<Omit<ImageRecord, "backend"> | undefined> {
  return pool.with(rbd, { readOnly: true }, async (img) => {
    const raw = await img.metadataGet(META_KEY);
    const snaps = await img.snapList();
    if (!raw || !snaps.includes(BASE_SNAPSHOT)) {
      log.error({ image: rbd }, "image without BMI metadata or base snapshot: ignored");
      return undefined;
    }
    const meta = JSON.parse(raw) as CephImageMeta;
    return {
      ...ref, sizeBytes: await img.size(), checksum: meta.checksum, parent: meta.parent, created: new Date(meta.created),
      public: meta.public, sourceDisk: meta.sourceDisk,
    };
  });
}

async function readDisk(pool: RbdPool, rbd: string, ref: Ref, backing: Backing, log: Logger): Promise<DiskRecord> {
  const { record, tmpSnaps } = await pool.with(rbd, { readOnly: true }, async (img) => {
    const parent = await img.parent();
    const image = parent ? parseName(parent.image) : undefined;
    const record: DiskRecord = {
      ...ref, image: image ? refKey(image.ref) : "", created: await img.createdAt(), sizeBytes: await img.size(), backing,
    };
    return { record, tmpSnaps: (await img.snapList()).filter(isTmp) };
  });
  if (tmpSnaps.length > 0) {
    log.warn({ disk: rbd, snapshots: tmpSnaps }, "removing snapshots of an interrupted snapshot operation");
    await pool.with(rbd, {}, async (img) => { for (const s of tmpSnaps) await img.snapRemove(s); });
  }
  return record;
}

/** Removes an image and its snapshots; an image that is already gone is fine. */
export async function discard(pool: RbdPool, name: string): Promise<void> {
  const ignoreMissing = (err: unknown) => {
    if ((err as { errno?: number }).errno !== 2) throw err; // ENOENT
  };
  // An image whose creation was cut short can be listed yet fail to open (no header yet): its snapshots are
  // then moot, but the removal must still run, or its directory entry stays for ever.
  await pool.with(name, {}, async (img) => { for (const s of await img.snapList()) await img.snapRemove(s); })
    .catch(ignoreMissing);
  await pool.remove(name).catch(ignoreMissing);
}

/** Runs `fn` over `items`, at most PARALLEL at a time (each call waits on Ceph, not on the CPU). */
export async function eachLimit<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

/** Keeps trying to remove leftovers that were busy at start-up (a crashed client's watch has not expired yet). */
export function sweepLater(pool: () => RbdPool, names: string[], everyMs: number): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const name of [...names]) {
        await discard(pool(), name).then(() => names.splice(names.indexOf(name), 1), () => undefined);
      }
      if (names.length === 0) clearInterval(timer);
      busy = false;
    })();
  }, everyMs);
  timer.unref();
  return timer;
}
