import { check, cstr } from "./errors";
import type { Ptr } from "./ffi";
import { radosLib, type RadosLib } from "./librados";

/** Who BMI is to a Ceph cluster. */
export interface CephClientOptions {
  /** ceph.conf: the monitors, and usually the keyring of each client. */
  conf: string;
  /** Client id without "client.". */
  user: string;
  /** The user's keyring; absent or "": the one ceph.conf names, else librados's defaults (/etc/ceph/ceph.client.<user>.keyring, ...). */
  keyring?: string;
}

/** One connection to a cluster, as `user`. Pools are opened on it (io contexts); shutdown() closes it. */
export class CephCluster {
  private constructor(private readonly lib: RadosLib, readonly handle: Ptr) {}

  static async connect(opts: CephClientOptions): Promise<CephCluster> {
    const lib = radosLib();
    const out: [Ptr | null] = [null];
    check("rados_create", lib.create(out, opts.user));
    const cluster = out[0] as Ptr;
    try {
      check(`read ${opts.conf}`, lib.confReadFile(cluster, opts.conf));
      // Fail instead of hanging forever when the cluster is down: the caller gets UNAVAILABLE and may retry.
      const settings = [["client_mount_timeout", "15"], ["rados_mon_op_timeout", "30"], ["rados_osd_op_timeout", "120"]];
      if (opts.keyring) settings.push(["keyring", opts.keyring]);
      for (const [k, v] of settings) check(`set ${k}`, lib.confSet(cluster, k as string, v as string));
      check(`connect to the Ceph cluster of ${opts.conf} as client.${opts.user}`, await lib.connect(cluster));
    } catch (err) {
      await lib.shutdown(cluster);
      throw err;
    }
    return new CephCluster(lib, cluster);
  }

  /** The cluster's id, as `ceph fsid` prints it. */
  fsid(): string {
    const buf = Buffer.alloc(64);
    check("rados_cluster_fsid", this.lib.clusterFsid(this.handle, buf, buf.length));
    return cstr(buf);
  }

  /** ENOENT (a CephError) when the pool does not exist. */
  async poolId(name: string): Promise<number> {
    return check(`pool ${name}`, await this.lib.poolLookup(this.handle, name));
  }

  /** An io context on `pool`, for librbd; closePool() releases it. */
  openPool(name: string): Ptr {
    const out: [Ptr | null] = [null];
    check(`open pool ${name}`, this.lib.ioctxCreate(this.handle, name, out));
    return out[0] as Ptr;
  }

  closePool(io: Ptr): void {
    this.lib.ioctxDestroy(io);
  }

  async shutdown(): Promise<void> {
    await this.lib.shutdown(this.handle);
  }
}

/** What a client sees of a cluster: its fsid, and the id of the pool it is meant to use. */
export interface CephProbe {
  fsid: string;
  poolId: number;
}

/** Connects as the client would, reads the fsid and looks the pool up, disconnects. Throws what connecting throws. */
export async function probeCluster(opts: CephClientOptions & { pool: string }): Promise<CephProbe> {
  const cluster = await CephCluster.connect(opts);
  try {
    return { fsid: cluster.fsid(), poolId: await cluster.poolId(opts.pool) };
  } finally {
    await cluster.shutdown();
  }
}
