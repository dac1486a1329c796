import { setFlagsFromString } from "node:v8";
import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadOrchConfig } from "./config";
import { wireOrchestrator } from "./server";

// The old generation may grow to 1.5x what the last full GC kept, not V8's up to 4x on a machine with this much
// memory: jobs in flight promote short-lived objects (calls, records, events) out of the young generation, and with
// the default the garbage piled up to ~110 MB before a full GC (issue 16: 10,000 jobs, peak RSS 228 -> 155 MiB, the
// full GCs' pauses 0.2 -> 0.6 s in all). Read at every full GC, so setting it here, before the first, is enough.
setFlagsFromString("--heap-growing-percent=50");

// Every service starts the same way: its settings (checked, exit 2 on a problem), then runService makes the logger
// and the server, wireOrchestrator connects Redis, NATS and the services and adds the handlers, and the server listens.
const cfg = loadOrchConfig();
void runService("orchestrator", cfg, (server, log) => wireOrchestrator(server, cfg, log), auditTrailOf(cfg));
