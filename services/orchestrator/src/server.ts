import type { AccessTable, BmiServer, PromiseClient } from "@bmi/grpc";
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
  server.add(OrchestratorService, { ...jobHandlers(provisioning, access), ...nodeHandlers(haas, access, queries) }, ORCHESTRATOR_ACCESS);
}

/**
 * The front door: every method is for project members, who are checked against the project of each job and node
 * by the handlers; the node inventory's changes are for admins.
 */
export const ORCHESTRATOR_ACCESS: AccessTable<typeof OrchestratorService> = {
  provisionNode: "member", deprovisionNode: "member", snapshotNode: "member", reprovisionNode: "member",
  bulkProvision: "member", getJob: "member", listJobs: "member", watchJob: "member", cancelJob: "member",
  listProvisioned: "member", listNodes: "member", getNode: "member",
  registerNode: "admin", updateNode: "admin", unregisterNode: "admin",
};
