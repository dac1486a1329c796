import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { eachLimit } from "@bmi/async";
import type { Logger } from "@bmi/log";
import type { LocalLayout } from "./layout";
import { removeFile } from "../files";
import { StorageDaemon, unmountStale, type DaemonFiles } from "./storage-daemon";

/**
 * Exports one storage daemon serves at most. libfuse takes a thread-specific key per FUSE session and glibc has
 * 1,024, so a daemon's 1,021st export fails ("Failed to set up FUSE session"). Well below that, a daemon's cost per
 * disk grows with the disks it holds: its main loop polls every export's FUSE descriptor on each turn, and each
 * blockdev-add walks every node to check names. 1,000 disks created and deleted, 64 at a time (2026-11-30, load
 * 1.5-7): the daemons' CPU per create 1.72 ms at 250 per daemon, 1.36-1.42 at 125, 1.24-1.38 at 64, 1.19-1.21 at
 * 32; their memory (PSS) for 1,000 disks 210, 222 and 241 MiB at 125, 64 and 32.
 */
export const EXPORTS_PER_DAEMON = 64;
/** Disks exported again at once when the service starts (commands in flight across all daemons). */
const REEXPORT_PARALLEL = 16;
/**
 * Adds and removes in flight on one daemon past which a new add goes to a daemon not started yet (while there is a
 * free slot) rather than queue: a daemon answers its QMP commands one at a time, on one core.
 */
const SPREAD_AT = 8;
/** Daemons started beyond what the disks fill, at most, to spread commands over. */
const SPREAD_EXTRA = 8;

/**
 * The disks' raw views (exports/ID.raw, what tgtd opens): one FUSE export per disk, served by as many
 * qemu-storage-daemons as the disks need (`perDaemon` each). Daemon 0 lives in qsd/, daemon k in qsd/k/.
 */
export class DiskExports {
  /** Daemons by number, started on first use. */
  private readonly daemons: Array<Promise<StorageDaemon> | undefined> = [];
  /** Exports (and exports being added) per daemon. */
  private readonly counts: number[] = [];
  /** Adds and removes in flight per daemon: the next add goes to the started daemon with room and the fewest. */
  private readonly busy: number[] = [];
  /** Which daemon serves each disk (by disk id), and under which name (its export id and node name). */
  private readonly where = new Map<string, Served>();
  /** The restart of each daemon that died, so that the calls that find it dead share one. */
  private readonly revived = new Map<number, { dead: StorageDaemon; next: Promise<StorageDaemon> }>();
  /** The number in the next export's name. */
  private nextName = 0;
  private readonly files: DaemonFiles;

  private constructor(
    private readonly layout: LocalLayout, private readonly log: Logger, private readonly detached: boolean,
    private readonly perDaemon: number,
  ) {
    this.files = { root: layout.root, mountSource: layout.mountSource };
  }

  /**
   * Adopts the daemons still running (detached ones outlive the service) and makes their exports exactly
   * `diskIds`: after a crash a daemon may still serve disks deleted meanwhile, hold the node of an add that was cut
   * short, or a fresh start may serve none. FUSE mounts no running daemon serves are dead: they are unmounted.
   * A node's disk is the overlay file it opened (whatever its name: earlier versions named it d<disk id>).
   */
  static async open(layout: LocalLayout, diskIds: string[], log: Logger, opts: { detached: boolean; perDaemon?: number }): Promise<DiskExports> {
    const exp = new DiskExports(layout, log, opts.detached, opts.perDaemon ?? EXPORTS_PER_DAEMON);
    const wanted = new Set(diskIds);
    for (const k of await daemonNumbers(layout.qsd)) {
      const daemon = await StorageDaemon.adopt(exp.dir(k), log, exp.files);
      if (!daemon) continue;
      exp.daemons[k] = Promise.resolve(daemon);
      exp.counts[k] = 0;
      const nodes = await daemon.nodes();
      for (const name of nodes.keys()) exp.nextName = Math.max(exp.nextName, nameNumber(name) + 1);
      for (const [id, node] of await daemon.exports()) {
        const diskId = diskOf(nodes.get(node) ?? "");
        if (id === node && wanted.has(diskId) && !exp.where.has(diskId)) exp.serve(diskId, k, id);
        else await daemon.remove(id);
      }
      const kept = new Set([...exp.where.values()].filter((s) => s.daemon === k).map((s) => s.name));
      for (const node of nodes.keys()) if (!kept.has(node)) await daemon.remove(node);
    }
    await exp.daemon(0); // the first daemon runs from the start: a daemon that cannot start stops the service here
    exp.counts[0] ??= 0;
    const kept = new Set([...exp.where.keys()].map((id) => layout.exportFile(id)));
    await unmountStale(layout.exports, kept, log);
    // Several at a time: the service serves only once every disk is exported again, and its callers retry for so
    // long (the orchestrator about 20 s). One at a time, a restart with 160 disks took 14 s at load 10, and the
    // 1,000-node chaos run lost 18 nodes to it; each daemon answers its commands in turn, the daemons side by side.
    await eachLimit(diskIds.filter((diskId) => !exp.where.has(diskId)), REEXPORT_PARALLEL, (diskId) => exp.add(diskId));
    for (const f of await readdir(layout.exports)) {
      if (!wanted.has(path.basename(f, ".raw"))) await rm(path.join(layout.exports, f), { force: true });
    }
    return exp;
  }

  /** Exports the disk (again: idempotent) through the daemon pick() chooses, started if need be. */
  async add(diskId: string): Promise<void> {
    if (this.where.has(diskId)) return;
    const k = this.pick();
    this.counts[k] = (this.counts[k] ?? 0) + 1;
    // A name of its own for every add: one an add cut short left on a kept daemon is never taken for this disk's.
    const name = `n${(this.nextName++).toString(36)}`;
    try {
      await this.on(k, (d) => d.add(name, this.layout.diskFile(diskId), this.layout.exportFile(diskId)));
      this.where.set(diskId, { daemon: k, name });
    } catch (err) {
      this.counts[k] = (this.counts[k] ?? 1) - 1;
      throw err;
    }
  }

  async remove(diskId: string): Promise<void> {
    const served = this.where.get(diskId);
    if (served !== undefined) {
      await this.on(served.daemon, (d) => d.remove(served.name));
      this.where.delete(diskId);
      this.counts[served.daemon] = (this.counts[served.daemon] ?? 1) - 1;
    }
    removeFile(this.layout.exportFile(diskId));
  }

  /** `keep`: leave detached daemons serving (the next start adopts them), else stop them (they unmount every export). */
  async close(keep: boolean): Promise<void> {
    const daemons = await Promise.all(this.daemons.map((d) => d?.catch(() => undefined)));
    for (const d of daemons) {
      if (keep) d?.detach();
      else await d?.stop();
    }
  }

  /**
   * Runs `fn` on daemon `k`. A daemon that died (killed, crashed) is started again first, with every disk it served
   * exported again, and `fn` tried once more on it: the caller never sees the dead daemon, and its disks come back.
   */
  private async on<T>(k: number, fn: (d: StorageDaemon) => Promise<T>): Promise<T> {
    this.busy[k] = (this.busy[k] ?? 0) + 1;
    try {
      const d = await this.daemon(k);
      try {
        return await fn(d);
      } catch (err) {
        if (d.alive()) throw err;
        return fn(await this.revive(k, d));
      }
    } finally {
      this.busy[k] = (this.busy[k] ?? 1) - 1;
    }
  }

  private revive(k: number, dead: StorageDaemon): Promise<StorageDaemon> {
    const current = this.daemons[k];
    if (this.revived.get(k)?.dead === dead) return this.revived.get(k)!.next;
    const next = (async () => {
      dead.detach();
      this.log.warn({ daemonPid: dead.pid, daemon: k }, "qemu-storage-daemon died: starting it again and exporting its disks again");
      const mine = [...this.where].filter(([, s]) => s.daemon === k);
      const others = [...this.where].filter(([, s]) => s.daemon !== k).map(([diskId]) => this.layout.exportFile(diskId));
      await unmountStale(this.layout.exports, new Set(others), this.log);
      const fresh = await StorageDaemon.open(this.dir(k), this.log, this.files, { detached: this.detached });
      for (const [diskId, s] of mine) await fresh.add(s.name, this.layout.diskFile(diskId), this.layout.exportFile(diskId));
      return fresh;
    })();
    this.revived.set(k, { dead, next });
    if (this.daemons[k] === current) this.daemons[k] = next;
    next.catch(() => { if (this.daemons[k] === next) this.daemons[k] = undefined; });
    return next;
  }

  private serve(diskId: string, k: number, name: string): void {
    this.where.set(diskId, { daemon: k, name });
    this.counts[k] = (this.counts[k] ?? 0) + 1;
  }

  /**
   * The daemon for a new export: the started one with room and the fewest commands in flight, or a new one when
   * every started daemon has SPREAD_AT in flight (at most SPREAD_EXTRA daemons more than the disks need). Filling
   * the first daemon with room sent every add of a bulk to one daemon, whose QMP commands run one after another.
   */
  private pick(): number {
    let best = -1;
    for (let i = 0; i < this.daemons.length; i++) {
      if (this.daemons[i] === undefined || (this.counts[i] ?? 0) >= this.perDaemon) continue;
      if (best < 0 || (this.busy[i] ?? 0) < (this.busy[best] ?? 0)) best = i;
    }
    if (best >= 0 && (this.busy[best] ?? 0) < SPREAD_AT) return best;
    const started = this.daemons.filter((d) => d !== undefined).length;
    const needed = Math.ceil((this.counts.reduce((a, n) => a + (n ?? 0), 0) + 1) / this.perDaemon);
    return best >= 0 && started >= needed + SPREAD_EXTRA ? best : this.firstFreeSlot();
  }

  /** A slot with no daemon yet (the next number, or one whose daemon failed to start). */
  private firstFreeSlot(): number {
    for (let i = 0; i < this.daemons.length; i++) if (this.daemons[i] === undefined) return i;
    return this.daemons.length;
  }

  private daemon(k: number): Promise<StorageDaemon> {
    let d = this.daemons[k];
    if (!d) {
      d = StorageDaemon.open(this.dir(k), this.log, this.files, { detached: this.detached });
      this.daemons[k] = d;
      // A daemon that did not start leaves its slot free for the next try.
      d.catch(() => { if (this.daemons[k] === d) this.daemons[k] = undefined; });
    }
    return d;
  }

  private dir(k: number): string {
    return k === 0 ? this.layout.qsd : path.join(this.layout.qsd, String(k));
  }
}

/** 0 (qsd/ itself) and the numbers of qsd/'s numbered directories. */
async function daemonNumbers(qsd: string): Promise<number[]> {
  const names = await readdir(qsd, { withFileTypes: true }).catch(() => []);
  return [0, ...names.filter((e) => e.isDirectory() && /^[1-9]\d*$/.test(e.name)).map((e) => Number(e.name))].sort((a, b) => a - b);
}

/** A disk's export: the daemon serving it and the name of the export and its node ("n" and a number, base 36). */
interface Served {
  daemon: number;
  name: string;
}

/**
 * Short names: a daemon reads a command one byte at a time (storage-daemon.ts), and a disk's four commands name it
 * five times. QEMU node names and export ids must start with a letter.
 */
function nameNumber(name: string): number {
  return /^n[0-9a-z]+$/.test(name) ? parseInt(name.slice(1), 36) : -1;
}

/** The disk id of an overlay's path as a daemon reports it (absolute, or relative to the data directory). */
function diskOf(file: string): string {
  return /(?:^|\/)disks\/([^/]+)\.qcow2$/.exec(file)?.[1] ?? "";
}
