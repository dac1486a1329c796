/** For benchmarks and cross-service tests: the server factory and the drivers, as main.ts wires them. */
export { createImageServer, type ImageServer } from "./server";
export { LocalDriver, type LocalDriverOptions } from "./drivers/local";
export { CephDriver, type CephDriverOptions } from "./drivers/ceph";
export type { StorageDriver, Ref, DiskRecord, ImageRecord } from "./storage";
