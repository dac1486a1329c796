import { eachLimit } from "@bmi/async";
import type { Logger } from "@bmi/log";
import { refKey, type Backing, type DiskRecord, type ImageRecord, type Ref, type StoredState } from "../../storage";
import { BASE_SNAPSHOT, META_KEY, isTmp, parseName, type CephImageMeta } from "./names";
import type { RbdPool } from "./rbd";

/** Calls to Ceph in flight at once while scanning (each waits on Ceph, not on the CPU). */
const PARALLEL = 8;

/**
 * Whether a tmp~ name (an image, or a snapshot on a disk) is a leftover nobody will finish: its owner is dead. With
 * one instance per pool every tmp~ found at start-up is.
 */
export type Abandoned = (tmpName: string) => Promise<boolean>;

/**
 * Reads every BMI image and disk in the pool (metadata, size, parent) and removes what interrupted operations left:
 * abandoned tmp~ images (half-built images, disks or snapshots, or half-removed ones) and tmp~ snapshots on disks.
 * Answers the tmp~ images that could not be removed yet (`stuck`).
 */
export async function scanPool(
  pool: RbdPool, backend: string, backing: (rbdImage: string) => Backing, log: Logger, abandoned: Abandoned,
): Promise<{ state: StoredState; stuck: string[] }> {
  const names = await pool.list();
  const stuck = await sweepNames(pool, names, log, abandoned);
  const images: ImageRecord[] = [];
  const disks: DiskRecord[] = [];
  const parsed = names.map((n) => ({ rbd: n, parsed: parseName(n) }));
  await eachLimit(parsed, PARALLEL, async ({ rbd, parsed: p }) => {
    const record = p ? await readRecord(pool, p.kind, rbd, p.ref, backend, backing(rbd), log, abandoned) : undefined;
    if (record && p?.kind === "image") images.push(record as ImageRecord);
    else if (record) disks.push(record as DiskRecord);
  });
  return { state: { images, disks }, stuck };
}

/** Removes the abandoned tmp~ images among `names`; answers those that are busy still (a crashed client's watch). */
export async function sweepNames(pool: RbdPool, names: string[], log: Logger, abandoned: Abandoned): Promise<string[]> {
  const stuck: string[] = [];
  await eachLimit(names.filter(isTmp), PARALLEL, async (name) => {
    if (!(await abandoned(name))) return;
    log.warn({ image: name }, "removing a leftover of an interrupted operation");
    // A crashed client's watch keeps its image busy until the OSD times the watch out: retried later.
    await discard(pool, name).catch((err: unknown) => { log.warn({ err, image: name }, "leftover busy, retrying later"); stuck.push(name); });
  });
  return stuck;
}

/**
 * One image's or disk's record as the pool has it now (undefined: not there, or not a whole BMI image); abandoned
 * tmp~ snapshots on a disk are removed on the way.
 */
export async function readRecord(
  pool: RbdPool, kind: "image" | "disk", rbd: string, ref: Ref, backend: string, backing: Backing, log: Logger, abandoned: Abandoned,
): Promise<ImageRecord | DiskRecord | undefined> {
  try {
    if (kind === "disk") return await readDisk(pool, rbd, ref, backing, log, abandoned);
    const image = await readImage(pool, rbd, ref, log);
    return image ? { ...image, backend } : undefined;
  } catch (err) {
    if ((err as { errno?: number }).errno === 2) return undefined; // ENOENT: removed (or renamed) meanwhile
    throw err;
  }
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

/** Removes the abandoned tmp~ snapshots on the disks among `names` (a snapshot cut short by its instance's death). */
export async function sweepDiskSnapshots(pool: RbdPool, names: string[], log: Logger, abandoned: Abandoned): Promise<void> {
  await eachLimit(names.filter((n) => parseName(n)?.kind === "disk"), PARALLEL, async (rbd) => {
    try {
      const tmp = await pool.with(rbd, { readOnly: true }, async (img) => (await img.snapList()).filter(isTmp));
      const verdicts = await Promise.all(tmp.map(abandoned));
      const dead = tmp.filter((_, i) => verdicts[i]);
      if (dead.length === 0) return;
      log.warn({ disk: rbd, snapshots: dead }, "removing snapshots of an interrupted snapshot operation");
      await pool.with(rbd, {}, async (img) => { for (const s of dead) await img.snapRemove(s); });
    } catch (err) {
      if ((err as { errno?: number }).errno !== 2) log.warn({ err, disk: rbd }, "snapshots not swept; the next sweep retries");
    }
  });
}

async function readDisk(pool: RbdPool, rbd: string, ref: Ref, backing: Backing, log: Logger, abandoned: Abandoned): Promise<DiskRecord> {
  const { record, tmpSnaps } = await pool.with(rbd, { readOnly: true }, async (img) => {
    const parent = await img.parent();
    const image = parent ? parseName(parent.image) : undefined;
    const record: DiskRecord = {
      ...ref, image: image ? refKey(image.ref) : "", created: await img.createdAt(), sizeBytes: await img.size(), backing,
    };
    const tmp = (await img.snapList()).filter(isTmp);
    const gone = await Promise.all(tmp.map(abandoned));
    return { record, tmpSnaps: tmp.filter((_, i) => gone[i]) };
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
