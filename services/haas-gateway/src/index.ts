export { Gateway, NO_ISOLATION_NOTICE } from "./gateway";
export { addGateway } from "./server";
export { createDriver } from "./create-driver";
export { parseHaasConfig, haasSpec, type HaasConfig } from "./config";
export { HilDriver } from "./drivers/hil";
export { StandaloneDriver } from "./drivers/standalone";
export { readInventory, parsePower } from "./inventory-file";
export type * from "./node-driver";
