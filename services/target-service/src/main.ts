import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadTargetConfig } from "./config";
import { wireTargetService } from "./server";

// Every service starts the same way: its settings (checked, exit 2 on a problem), then runService makes the logger
// and the server, wireTargetService connects the clients and adds the handlers, and the server listens.
const cfg = loadTargetConfig();
void runService("target-service", cfg, (server, log) => wireTargetService(server, cfg, log), auditTrailOf(cfg));
