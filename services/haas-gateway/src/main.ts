import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadHaasConfig } from "./config";
import { createDriver } from "./create-driver";
import { addGateway } from "./server";

const config = loadHaasConfig();
void runService("haas-gateway", config, async (server, log) => {
  const { driver, close } = await createDriver(config, log);
  server.onShutdown(close);
  addGateway(server, driver);
}, auditTrailOf(config));
