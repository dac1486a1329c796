import { lazyLibrary, type AsyncFn, type Ptr } from "./ffi";

/** The librados C functions BMI calls. */
export interface RadosLib {
  create(out: [Ptr | null], id: string): number;
  confReadFile(cluster: Ptr, path: string): number;
  confSet(cluster: Ptr, option: string, value: string): number;
  connect: AsyncFn;
  shutdown: AsyncFn;
  clusterFsid(cluster: Ptr, buf: Buffer, len: number): number;
  poolLookup: AsyncFn;
  ioctxCreate(cluster: Ptr, pool: string, out: [Ptr | null]): number;
  ioctxDestroy(io: Ptr): void;
}

/** Loaded on first use: a host without librados still runs everything that does not touch Ceph. */
export const radosLib = lazyLibrary("librados.so.2", ({ sync, async }): RadosLib => ({
  create: sync("int rados_create(_Out_ void **cluster, const char *id)"),
  confReadFile: sync("int rados_conf_read_file(void *cluster, const char *path)"),
  confSet: sync("int rados_conf_set(void *cluster, const char *option, const char *value)"),
  connect: async("int rados_connect(void *cluster)"),
  shutdown: async("void rados_shutdown(void *cluster)"),
  clusterFsid: sync("int rados_cluster_fsid(void *cluster, void *buf, size_t len)"),
  poolLookup: async("int64_t rados_pool_lookup(void *cluster, const char *pool)"),
  ioctxCreate: sync("int rados_ioctx_create(void *cluster, const char *pool, _Out_ void **io)"),
  ioctxDestroy: sync("void rados_ioctx_destroy(void *io)"),
}));
