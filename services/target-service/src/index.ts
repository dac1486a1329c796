export * from "./config";
export * from "./target";
export * from "./targets";
export * from "./naming";
export * from "./reconciler";
export * from "./server";
export { TgtDriver } from "./drivers/tgt";
export { RedisTargetStore } from "./drivers/redis-store";
