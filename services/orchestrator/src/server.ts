import type { BmiServer, PromiseClient } from "@bmi/grpc";
import type { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import { OrchestratorService } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { JobQueries } from "./engine/queries";
import type { JobAccess } from "./jobs/job-access";
import type { Provisioning } from "./jobs/provisioning";
import { jobHandlers } from "./handlers/jobs";
import { nodeHandlers } from "./handlers/nodes";

/** Serves bmi.orchestrator.v1.Orchestrator on `server`. */
export function addOrchestrator(server: BmiServer, provisioning: Provisioning, access: JobAccess,
  haas: PromiseClient<HaasGatewayClient>, queries: JobQueries): void {
  server.add(OrchestratorService, { ...jobHandlers(provisioning, access), ...nodeHandlers(haas, access, queries) });
}
