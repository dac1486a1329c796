export { CephCluster, probeCluster, type CephClientOptions, type CephProbe } from "./cluster";
export { CephError, ERRNO, check, cstr } from "./errors";
export { bindLibrary, koffi, type AsyncFn, type Ptr } from "./ffi";
