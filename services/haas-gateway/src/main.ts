import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadHaasConfig } from "./config";
import { wireHaasGateway } from "./server";

// Every service starts the same way: its settings (checked, exit 2 on a problem), then runService makes the logger
// and the server, wireHaasGateway connects the clients and adds the handlers, and the server listens.
const cfg = loadHaasConfig();
void runService("haas-gateway", cfg, (server, log) => wireHaasGateway(server, cfg, log), auditTrailOf(cfg));
