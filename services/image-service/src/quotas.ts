import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { InvalidArgumentError, ResourceExhaustedError } from "@bmi/errors";
import type { Catalog } from "./catalog";

/** What image-service counts per project (nodes are the orchestrator's). */
export const QUOTA_NAMES = ["disks", "images", "virtual_bytes", "stored_bytes"] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];
export type Usage = Record<QuotaName, number>;
/** A missing name is unlimited. */
export type Limits = Partial<Usage>;

/** Something being made, counted against its project's quota until the catalog holds it. */
export interface QuotaHold {
  /** More of the same request (an upload's size is known once its header is read); RESOURCE_EXHAUSTED past a limit. */
  add(cost: Partial<Usage>): void;
}

/** The cost of an image (a full, independent copy) and of a disk (a clone: virtual size only). */
export const imageCost = (bytes: number): Partial<Usage> => ({ virtual_bytes: bytes, stored_bytes: bytes });
export const diskCost = (bytes: number): Partial<Usage> => ({ disks: 1, virtual_bytes: bytes });

const ZERO: Usage = { disks: 0, images: 0, virtual_bytes: 0, stored_bytes: 0 };

/**
 * Per-project quotas on disks, images and bytes. Use is what the catalog holds plus what is being made right now
 * (holds): a check and its hold happen in one synchronous step of this single process, so two requests can never
 * both take the last unit. Limits are kept in a JSON file in the data directory (written whole, then renamed).
 */
export class ImageQuotas {
  private limits = new Map<string, Limits>();
  private readonly holds = new Map<string, Set<Usage>>();
  private file: string | undefined;

  /** Without a file (tests of the library alone), limits live in memory only. */
  constructor(private readonly catalog: Catalog) {}

  /** Keeps the limits in `file` from now on, starting from what it holds (none yet: no limits). */
  async load(file: string): Promise<void> {
    this.file = file;
    const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "{}";
      throw err;
    });
    this.limits = new Map(Object.entries(JSON.parse(text) as Record<string, Limits>));
  }

  limitsOf(project: string): Limits {
    return { ...this.limits.get(project) };
  }

  use(project: string): Usage {
    const held = [...(this.holds.get(project) ?? [])];
    const stored = this.catalog.usage(project);
    return Object.fromEntries(QUOTA_NAMES.map((n) => [n, stored[n] + held.reduce((sum, h) => sum + h[n], 0)])) as Usage;
  }

  /** Sets the named limits (undefined: unlimited) and keeps the others; lowering one below use removes nothing. */
  async set(project: string, changes: Partial<Record<QuotaName, number | undefined>>): Promise<void> {
    const next: Limits = { ...this.limits.get(project) };
    for (const [name, limit] of Object.entries(changes) as Array<[QuotaName, number | undefined]>) {
      if (limit === undefined) delete next[name];
      else if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError(`quota ${name}: ${limit} is not a whole number of 0 or more`);
      else next[name] = limit;
    }
    const all = new Map(this.limits);
    if (Object.keys(next).length > 0) all.set(project, next);
    else all.delete(project);
    if (this.file) {
      const tmp = `${this.file}.${randomBytes(4).toString("hex")}.tmp`;
      await writeFile(tmp, `${JSON.stringify(Object.fromEntries(all), null, 2)}\n`);
      await rename(tmp, this.file);
    }
    this.limits = all;
  }

  /**
   * Runs `make` while `cost` (and whatever it adds) counts against the project: RESOURCE_EXHAUSTED first if it
   * does not fit. The hold ends when `make` settles; `make` must have put its result in the catalog by then.
   */
  async with<T>(project: string, cost: Partial<Usage>, make: (hold: QuotaHold) => Promise<T>): Promise<T> {
    const held: Usage = { ...ZERO };
    const add = (more: Partial<Usage>) => {
      this.check(project, more);
      for (const n of QUOTA_NAMES) held[n] += more[n] ?? 0;
    };
    add(cost);
    const set = this.holds.get(project) ?? new Set<Usage>();
    this.holds.set(project, set.add(held));
    try {
      return await make({ add });
    } finally {
      set.delete(held);
      if (set.size === 0 && this.holds.get(project) === set) this.holds.delete(project);
    }
  }

  private check(project: string, cost: Partial<Usage>): void {
    const limits = this.limits.get(project);
    if (!limits) return;
    const use = this.use(project);
    for (const n of QUOTA_NAMES) {
      const want = cost[n] ?? 0;
      const limit = limits[n];
      if (want > 0 && limit !== undefined && use[n] + want > limit) {
        const more = n.endsWith("bytes") ? ` (${want} more requested)` : "";
        throw new ResourceExhaustedError(`quota ${n} of project ${project}: ${use[n]} of ${limit} in use${more}`);
      }
    }
  }
}
