import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadBootConfig } from "./config";
import { wireBootService } from "./server";

// Every service starts the same way: its settings (checked, exit 2 on a problem), then runService makes the logger
// and the server, wireBootService connects the clients and adds the handlers, and the server listens.
const cfg = loadBootConfig();
void runService("boot-service", cfg, (server, log) => wireBootService(server, cfg, log), auditTrailOf(cfg));
