export { CephCluster, probeCluster, type CephClientOptions, type CephProbe } from "./cluster";
export { CephError, ERRNO, check, cstr } from "./errors";
export { koffi, lazyLibrary, type AsyncFn, type LibraryBinder, type Ptr } from "./ffi";
