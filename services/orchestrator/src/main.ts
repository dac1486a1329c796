import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadOrchConfig } from "./config";
import { wireOrchestrator } from "./app";

const config = loadOrchConfig();
void runService("orchestrator", config, (server, log) => wireOrchestrator(config, server, log), auditTrailOf(config));
