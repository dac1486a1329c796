import type Koffi from "koffi" with { "resolution-mode": "import" };

// koffi declares its types for ESM only; its CommonJS entry (index.cjs) is the same API.
export const koffi = require("koffi") as typeof Koffi;

/** Pointers are opaque bigints (koffi 3). */
export type Ptr = bigint;
export type AsyncFn = (...args: unknown[]) => Promise<number>;
type CFunction = ReturnType<ReturnType<typeof koffi.load>["func"]>;

/**
 * A C library's functions by prototype. `async` ones run on libuv's worker threads, so the event loop never waits
 * on Ceph: use it for every call that can touch the network; `sync` only for local bookkeeping.
 */
export interface LibraryBinder {
  sync(proto: string): CFunction;
  async(proto: string): AsyncFn;
}

function bindLibrary(soname: string): LibraryBinder {
  const lib = koffi.load(soname);
  return {
    sync: (proto) => lib.func(proto),
    async: (proto) => {
      const fn = lib.func(proto);
      return (...args) => new Promise((resolve, reject) => {
        fn.async(...args, (err: unknown, res: number | bigint) => (err ? reject(err) : resolve(Number(res))));
      });
    },
  };
}

/**
 * The functions `bind` picks from a C library, loaded on the first call of the function this answers (then kept):
 * a host without the library still runs everything that does not call it.
 */
export function lazyLibrary<T>(soname: string, bind: (lib: LibraryBinder) => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= bind(bindLibrary(soname)));
}
