import type { Logger } from "@bmi/log";
import { connectRedis, redisLocation } from "@bmi/redis";
import { hilServiceAuthorization, type HaasConfig } from "./config";
import { HilDriver } from "./drivers/hil";
import { StandaloneDriver } from "./drivers/standalone";
import { readInventory } from "./inventory-file";
import type { NodeDriver } from "./node-driver";

/** The configured back end, connected and ready; `close` releases what it holds. */
export async function createDriver(config: HaasConfig, log: Logger): Promise<{ driver: NodeDriver; close(): Promise<void> }> {
  if (config.driver === "hil") {
    const serviceAuthorization = hilServiceAuthorization(config);
    log.info({ hil: config.hilUrl, mode: serviceAuthorization ? `service account ${config.hilUser}` : "pass-through" },
      serviceAuthorization ? "node driver: hil (BMI's service account; BMI enforces project ownership)"
        : "node driver: hil (callers' credentials passed through)");
    const driver = new HilDriver({
      url: config.hilUrl, requestTimeoutMs: config.hilRequestTimeoutMs, concurrency: config.hilConcurrency,
      ...(serviceAuthorization ? { serviceAuthorization } : {}),
      actionTimeoutMs: config.hilActionTimeoutMs, blockedRetryMs: config.hilBlockedRetryMs,
    });
    return { driver, close: () => driver.close() };
  }
  // Read before connecting: a broken inventory file is a configuration error, not a reason to touch Redis.
  const inventory = config.inventoryFile === "" ? [] : readInventory(config.inventoryFile);
  const redis = await connectRedis(redisLocation(config), log);
  const driver = new StandaloneDriver({ redis, prefix: `${config.redisPrefix}haas:`, log, ipmitool: config.ipmitool });
  if (inventory.length > 0) {
    const result = await driver.importNodes(inventory);
    log.info({ file: config.inventoryFile, ...result }, "inventory imported");
  }
  return {
    driver,
    async close() {
      await driver.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
