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
export function bindLibrary(soname: string): { sync(proto: string): CFunction; async(proto: string): AsyncFn } {
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
