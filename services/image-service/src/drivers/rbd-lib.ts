import type Koffi from "koffi" with { "resolution-mode": "import" };

// koffi declares its types for ESM only; its CommonJS entry (index.cjs) is the same API.
const koffi = require("koffi") as typeof Koffi;
type LibraryHandle = ReturnType<typeof koffi.load>;

/**
 * The librados/librbd C functions the Ceph driver calls, loaded through koffi (no npm binding exists, and the
 * `rbd` command costs 30-40 ms a call). Everything that can touch the network runs with `.async` on libuv's
 * worker threads, so the event loop never waits on Ceph; only local bookkeeping (options, config) runs inline.
 * Pointers are opaque bigints (koffi 3). Loaded on first use: a machine without librbd still runs the local driver.
 */
export type Ptr = bigint;
type AsyncFn = (...args: unknown[]) => Promise<number>;

export interface RbdLib {
  radosCreate(out: [Ptr | null], id: string): number;
  confReadFile(cluster: Ptr, path: string): number;
  confSet(cluster: Ptr, option: string, value: string): number;
  connect: AsyncFn;
  shutdown: AsyncFn;
  ioctxCreate(cluster: Ptr, pool: string, out: [Ptr | null]): number;
  ioctxDestroy(io: Ptr): void;
  optsCreate(out: [Ptr | null]): void;
  optsDestroy(opts: Ptr): void;
  optsSetU64(opts: Ptr, option: number, value: bigint): number;
  list: AsyncFn;
  create4: AsyncFn;
  clone3: AsyncFn;
  remove: AsyncFn;
  rename: AsyncFn;
  open: AsyncFn;
  openReadOnly: AsyncFn;
  close: AsyncFn;
  getSize: AsyncFn;
  createTimestamp: AsyncFn;
  parentInfo2: AsyncFn;
  metadataGet: AsyncFn;
  metadataSet: AsyncFn;
  snapCreate: AsyncFn;
  snapRemove: AsyncFn;
  snapList: AsyncFn;
  snapListEnd(snaps: Buffer): void;
  listChildren: AsyncFn;
  read: AsyncFn;
  write: AsyncFn;
  copy4: AsyncFn;
  flatten: AsyncFn;
  /** Size of rbd_snap_info_t, and its decoder. */
  snapInfoSize: number;
  decodeSnapInfo(buf: Buffer, offset: number): { id: bigint | number; size: bigint | number; name: string };
}

let loaded: RbdLib | undefined;

export function rbdLib(): RbdLib {
  loaded ??= load();
  return loaded;
}

function load(): RbdLib {
  const rados = koffi.load("librados.so.2");
  const rbd = koffi.load("librbd.so.1");
  const snapInfo = koffi.struct("rbd_snap_info_t", { id: "uint64_t", size: "uint64_t", name: "const char *" });
  const sync = (lib: LibraryHandle, proto: string) => lib.func(proto);
  const async = (lib: LibraryHandle, proto: string): AsyncFn => {
    const fn = lib.func(proto);
    return (...args) => new Promise((resolve, reject) => {
      fn.async(...args, (err: unknown, res: number | bigint) => (err ? reject(err) : resolve(Number(res))));
    });
  };
  return {
    radosCreate: sync(rados, "int rados_create(_Out_ void **cluster, const char *id)"),
    confReadFile: sync(rados, "int rados_conf_read_file(void *cluster, const char *path)"),
    confSet: sync(rados, "int rados_conf_set(void *cluster, const char *option, const char *value)"),
    connect: async(rados, "int rados_connect(void *cluster)"),
    shutdown: async(rados, "void rados_shutdown(void *cluster)"),
    ioctxCreate: sync(rados, "int rados_ioctx_create(void *cluster, const char *pool, _Out_ void **io)"),
    ioctxDestroy: sync(rados, "void rados_ioctx_destroy(void *io)"),
    optsCreate: sync(rbd, "void rbd_image_options_create(_Out_ void **opts)"),
    optsDestroy: sync(rbd, "void rbd_image_options_destroy(void *opts)"),
    optsSetU64: sync(rbd, "int rbd_image_options_set_uint64(void *opts, int option, uint64_t value)"),
    list: async(rbd, "int rbd_list(void *io, void *names, _Inout_ size_t *size)"),
    create4: async(rbd, "int rbd_create4(void *io, const char *name, uint64_t size, void *opts)"),
    clone3: async(rbd, "int rbd_clone3(void *pio, const char *pname, const char *psnap, void *cio, const char *cname, void *opts)"),
    remove: async(rbd, "int rbd_remove(void *io, const char *name)"),
    rename: async(rbd, "int rbd_rename(void *io, const char *from, const char *to)"),
    open: async(rbd, "int rbd_open(void *io, const char *name, _Out_ void **image, const char *snap)"),
    openReadOnly: async(rbd, "int rbd_open_read_only(void *io, const char *name, _Out_ void **image, const char *snap)"),
    close: async(rbd, "int rbd_close(void *image)"),
    getSize: async(rbd, "int rbd_get_size(void *image, _Out_ uint64_t *size)"),
    createTimestamp: async(rbd, "int rbd_get_create_timestamp(void *image, void *timespec)"),
    parentInfo2: async(rbd, "int rbd_get_parent_info2(void *image, void *pool, size_t plen, void *name, size_t nlen, void *id, size_t idlen, void *snap, size_t slen)"),
    metadataGet: async(rbd, "int rbd_metadata_get(void *image, const char *key, void *value, _Inout_ size_t *len)"),
    metadataSet: async(rbd, "int rbd_metadata_set(void *image, const char *key, const char *value)"),
    snapCreate: async(rbd, "int rbd_snap_create(void *image, const char *name)"),
    snapRemove: async(rbd, "int rbd_snap_remove(void *image, const char *name)"),
    snapList: async(rbd, "int rbd_snap_list(void *image, void *snaps, _Inout_ int *max)"),
    snapListEnd: sync(rbd, "void rbd_snap_list_end(void *snaps)"),
    listChildren: async(rbd, "int64_t rbd_list_children(void *image, void *pools, _Inout_ size_t *plen, void *images, _Inout_ size_t *ilen)"),
    read: async(rbd, "int64_t rbd_read(void *image, uint64_t ofs, size_t len, void *buf)"),
    write: async(rbd, "int64_t rbd_write(void *image, uint64_t ofs, size_t len, const void *buf)"),
    copy4: async(rbd, "int rbd_copy4(void *src, void *io, const char *name, void *opts, size_t sparse)"),
    flatten: async(rbd, "int rbd_flatten(void *image)"),
    snapInfoSize: koffi.sizeof(snapInfo),
    decodeSnapInfo: (buf, offset) => koffi.decode(buf, offset, snapInfo) as { id: bigint; size: bigint; name: string },
  };
}
