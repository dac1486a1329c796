import { lazyLibrary, koffi, type AsyncFn, type Ptr } from "@bmi/ceph";

export type { Ptr } from "@bmi/ceph";

/**
 * The librbd C functions the Ceph driver calls, loaded through koffi (no npm binding exists, and the `rbd` command
 * costs 30-40 ms a call); the cluster connection and pools are @bmi/ceph's (librados). Everything that can touch
 * the network runs on libuv's worker threads (`async`), so the event loop never waits on Ceph; only local
 * bookkeeping (options) runs inline. Loaded on first use: a machine without librbd still runs the local driver.
 */
export interface RbdLib {
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

export const rbdLib = lazyLibrary("librbd.so.1", ({ sync, async }): RbdLib => {
  const snapInfo = koffi.struct("rbd_snap_info_t", { id: "uint64_t", size: "uint64_t", name: "const char *" });
  return {
    optsCreate: sync("void rbd_image_options_create(_Out_ void **opts)"),
    optsDestroy: sync("void rbd_image_options_destroy(void *opts)"),
    optsSetU64: sync("int rbd_image_options_set_uint64(void *opts, int option, uint64_t value)"),
    list: async("int rbd_list(void *io, void *names, _Inout_ size_t *size)"),
    create4: async("int rbd_create4(void *io, const char *name, uint64_t size, void *opts)"),
    clone3: async("int rbd_clone3(void *pio, const char *pname, const char *psnap, void *cio, const char *cname, void *opts)"),
    remove: async("int rbd_remove(void *io, const char *name)"),
    rename: async("int rbd_rename(void *io, const char *from, const char *to)"),
    open: async("int rbd_open(void *io, const char *name, _Out_ void **image, const char *snap)"),
    openReadOnly: async("int rbd_open_read_only(void *io, const char *name, _Out_ void **image, const char *snap)"),
    close: async("int rbd_close(void *image)"),
    getSize: async("int rbd_get_size(void *image, _Out_ uint64_t *size)"),
    createTimestamp: async("int rbd_get_create_timestamp(void *image, void *timespec)"),
    parentInfo2: async("int rbd_get_parent_info2(void *image, void *pool, size_t plen, void *name, size_t nlen, void *id, size_t idlen, void *snap, size_t slen)"),
    metadataGet: async("int rbd_metadata_get(void *image, const char *key, void *value, _Inout_ size_t *len)"),
    metadataSet: async("int rbd_metadata_set(void *image, const char *key, const char *value)"),
    snapCreate: async("int rbd_snap_create(void *image, const char *name)"),
    snapRemove: async("int rbd_snap_remove(void *image, const char *name)"),
    snapList: async("int rbd_snap_list(void *image, void *snaps, _Inout_ int *max)"),
    snapListEnd: sync("void rbd_snap_list_end(void *snaps)"),
    listChildren: async("int64_t rbd_list_children(void *image, void *pools, _Inout_ size_t *plen, void *images, _Inout_ size_t *ilen)"),
    read: async("int64_t rbd_read(void *image, uint64_t ofs, size_t len, void *buf)"),
    write: async("int64_t rbd_write(void *image, uint64_t ofs, size_t len, const void *buf)"),
    copy4: async("int rbd_copy4(void *src, void *io, const char *name, void *opts, size_t sparse)"),
    flatten: async("int rbd_flatten(void *image)"),
    snapInfoSize: koffi.sizeof(snapInfo),
    decodeSnapInfo: (buf, offset) => koffi.decode(buf, offset, snapInfo) as { id: bigint; size: bigint; name: string },
  };
});
