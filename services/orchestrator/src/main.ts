import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadOrchConfig } from "./config";
import { wireOrchestrator } from "./server";

// Every service starts the same way: its settings (checked, exit 2 on a problem), then runService makes the logger
// and the server, wireOrchestrator connects Redis, NATS and the services and adds the handlers, and the server listens.
const cfg = loadOrchConfig();
void runService("orchestrator", cfg, (server, log) => wireOrchestrator(server, cfg, log), auditTrailOf(cfg));
