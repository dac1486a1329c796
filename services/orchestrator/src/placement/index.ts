import type { TlsFiles } from "@bmi/grpc";
import type { Redis } from "@bmi/redis";
import type { OrchConfig } from "../config";
import type { Limiter } from "../engine/limiter";
import type { ServiceClients } from "../steps/clients";
import { TargetHostRegistry } from "./hosts";
import { PlacementStore, type Affinity } from "./placement";
import { PlacedTargets } from "./routed";

export { addTargetHosts, TARGET_HOSTS_ACCESS } from "./admin";
export { TargetHostRegistry } from "./hosts";
export { PlacementStore } from "./placement";
export { PlacedTargets } from "./routed";

/**
 * Routes `clients.target` to the target host of each disk (registered hosts; BMI_ORCH_TARGET_ADDR while none is)
 * and answers the router, for the TargetHosts service.
 */
export function placeTargets(redis: Redis, config: OrchConfig, clients: ServiceClients, tls: TlsFiles | undefined,
  limiter: () => Limiter): PlacedTargets {
  const registry = new TargetHostRegistry(redis, config.redisPrefix);
  const store = new PlacementStore(redis, `${config.redisPrefix}orch:`, registry,
    { affinity: config.targetAffinity as Affinity, multipath: config.targetMultipath });
  const placed = new PlacedTargets(registry, store, clients.target, { deadlineMs: config.callDeadlineMs, tls, batch: { maxInFlight: config.batchInFlight } }, limiter);
  clients.target = placed.client();
  return placed;
}
