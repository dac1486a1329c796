import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { loadImageConfig } from "./config";
import { wireImageService } from "./server";

// Every service starts the same way: its settings (checked, exit 2 on a problem), then runService makes the logger
// and the server, wireImageService opens the storage and adds the handlers, and the server listens.
const cfg = loadImageConfig();
// Read by libuv when the pool first starts, which is after this line: nothing before it queued work there.
process.env.UV_THREADPOOL_SIZE = String(cfg.workerThreads);
void runService("image-service", cfg, (server, log) => wireImageService(server, cfg, log), auditTrailOf(cfg));
