import type { BmiServer } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { HaasGatewayService } from "@bmi/proto/bmi/haas/v1/haas";
import type { HaasConfig } from "./config";
import { createDriver } from "./create-driver";
import { Gateway } from "./gateway";
import { gatewayHandlers, HAAS_ACCESS } from "./handlers";
import type { NodeDriver } from "./node-driver";

/** Wires haas-gateway onto `server`: the configured node driver (HIL or the standalone inventory) and the handlers. */
export async function wireHaasGateway(server: BmiServer, cfg: HaasConfig, log: Logger): Promise<void> {
  const { driver, close } = await createDriver(cfg, log);
  server.onShutdown(close);
  addGateway(server, driver);
}

/** Serves bmi.haas.v1.HaasGateway on `server` over `driver`. */
export function addGateway(server: BmiServer, driver: NodeDriver): Gateway {
  const gateway = new Gateway(driver);
  server.add(HaasGatewayService, gatewayHandlers(gateway), HAAS_ACCESS);
  return gateway;
}
