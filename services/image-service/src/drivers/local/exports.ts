import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "@bmi/log";
import type { LocalLayout } from "./layout";
import { StorageDaemon } from "./storage-daemon";

/**
 * The disks' raw views (exports/ID.raw, what tgtd opens): one FUSE export per disk, all served by one
 * qemu-storage-daemon.
 */
export class DiskExports {
  private constructor(private readonly layout: LocalLayout, private readonly daemon: StorageDaemon) {}

  /**
   * Starts (or adopts) the daemon and makes its exports exactly `diskIds`: after a crash the daemon may still
   * serve disks deleted meanwhile, or a fresh daemon may serve none.
   */
  static async open(layout: LocalLayout, diskIds: string[], log: Logger, detached: boolean): Promise<DiskExports> {
    const exports = new DiskExports(layout, await StorageDaemon.open(layout.qsd, layout.exports, log, { detached }));
    const served = await exports.daemon.exports();
    const wanted = new Set(diskIds.map(exportId));
    for (const id of served) if (!wanted.has(id)) await exports.daemon.remove(id);
    for (const diskId of diskIds) if (!served.has(exportId(diskId))) await exports.add(diskId);
    for (const f of await readdir(layout.exports)) {
      if (!wanted.has(exportId(path.basename(f, ".raw")))) await rm(path.join(layout.exports, f), { force: true });
    }
    return exports;
  }

  add(diskId: string): Promise<void> {
    return this.daemon.add(exportId(diskId), this.layout.diskFile(diskId), this.layout.exportFile(diskId));
  }

  async remove(diskId: string): Promise<void> {
    await this.daemon.remove(exportId(diskId));
    await rm(this.layout.exportFile(diskId), { force: true });
  }

  /** `keep`: leave a detached daemon serving (the next start adopts it), else stop it (it unmounts every export). */
  async close(keep: boolean): Promise<void> {
    if (keep) this.daemon.detach();
    else await this.daemon.stop();
  }
}

// QEMU node names and export ids must start with a letter.
function exportId(diskId: string): string {
  return `d${diskId}`;
}
