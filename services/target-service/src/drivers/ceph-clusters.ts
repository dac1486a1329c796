import { probeCluster, type CephClientOptions, type CephProbe } from "@bmi/ceph";
import type { Logger } from "@bmi/log";
import type { DiskDirectory } from "../disk-directory";
import type { Backing } from "../target";

// A cluster that could not be reached is tried again when a disk on it comes up after this long.
const RETRY_MS = 60_000;

/**
 * The Ceph clusters RBD targets are on, as this host sees them. tgt's rbd backing store opens each LUN with the
 * ceph.conf and user its disk names (the keyring is whatever that conf names for the user), so the first time a
 * conf, user and pool come up, at start-up for the targets in the store and then for each disk image-service
 * describes, target-service connects the same way and logs the cluster's fsid and the pool, or a warning that
 * tgt will not open those disks: a missing keyring or an unreachable monitor shows at once, not at a node's boot.
 */
export class CephClusters {
  private readonly seen = new Map<string, Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly probe: (opts: CephClientOptions & { pool: string }) => Promise<CephProbe> = probeCluster,
  ) {}

  /** Checks the backing's cluster unless it was already; resolves once checked (never rejects). */
  note(backing: Backing): Promise<void> {
    if (backing.kind !== "rbd") return Promise.resolve();
    const key = JSON.stringify([backing.cephConf, backing.user, backing.pool]);
    let checked = this.seen.get(key);
    if (!checked) {
      checked = this.check(key, backing);
      this.seen.set(key, checked);
    }
    return checked;
  }

  private async check(key: string, b: Extract<Backing, { kind: "rbd" }>): Promise<void> {
    const where = { pool: b.pool, user: `client.${b.user}`, conf: b.cephConf };
    try {
      const { fsid } = await this.probe({ conf: b.cephConf, user: b.user, pool: b.pool });
      this.log.info({ fsid, ...where }, "Ceph cluster of RBD targets");
    } catch (err) {
      this.log.warn({ err, ...where },
        "tgt cannot open RBD disks of this Ceph cluster from here: check the conf, the keyring it names for the user, and the network to the monitors");
      setTimeout(() => this.seen.delete(key), RETRY_MS).unref();
    }
  }
}

/** `directory`, noting the cluster of every RBD disk it describes; nothing waits for the check. */
export function notingClusters(directory: DiskDirectory, clusters: CephClusters): DiskDirectory {
  return {
    async backing(ctx, project, disk) {
      const b = await directory.backing(ctx, project, disk);
      void clusters.note(b);
      return b;
    },
  };
}
