import type { BmiServer } from "@bmi/grpc";
import { HaasGatewayService } from "@bmi/proto/bmi/haas/v1/haas";
import { Gateway } from "./gateway";
import { gatewayHandlers, HAAS_ACCESS } from "./handlers";
import type { NodeDriver } from "./node-driver";

/** Serves bmi.haas.v1.HaasGateway on `server` over `driver`. */
export function addGateway(server: BmiServer, driver: NodeDriver): Gateway {
  const gateway = new Gateway(driver);
  server.add(HaasGatewayService, gatewayHandlers(gateway), HAAS_ACCESS);
  return gateway;
}
