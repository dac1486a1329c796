import type { AccessTable, BmiServer, PromiseClient } from "@bmi/grpc";
import type { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import type { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { OrchestratorService } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { JobQueries } from "../engine/queries";
import type { NodeQuota } from "../engine/node-quota";
import type { JobAccess } from "../jobs/job-access";
import type { Provisioning } from "../jobs/provisioning";
import { jobHandlers } from "./jobs";
import { nodeHandlers } from "./nodes";
import { powerHandlers } from "./power";
import { quotaHandlers } from "./quotas";
import { auditHandlers, type AuditSource } from "./audit";
import { doctorHandlers, type Doctor } from "../doctor";

/** What the quota and audit RPCs read: the node quota, image-service's quotas, the audit stream. */
export interface QuotaAndAudit {
  nodes: NodeQuota;
  image: PromiseClient<ImageServiceClient>;
  audit: AuditSource;
  doctor: Doctor;
}

/** Serves bmi.orchestrator.v1.Orchestrator on `server`. */
export function addOrchestrator(server: BmiServer, provisioning: Provisioning, access: JobAccess,
  haas: PromiseClient<HaasGatewayClient>, queries: JobQueries, more: QuotaAndAudit): void {
  server.add(OrchestratorService, {
    ...jobHandlers(provisioning, access), ...nodeHandlers(haas, access, queries), ...powerHandlers(haas, queries),
    ...quotaHandlers(more.nodes, more.image), ...auditHandlers(more.audit),
    ...doctorHandlers(more.doctor),
  }, ORCHESTRATOR_ACCESS);
}

/**
 * The front door: every method is for project members, who are checked against the project of each job and node
 * by the handlers (power and boot device through haas-gateway, which knows whose node it is); the node
 * inventory's changes and quota limits are for admins.
 */
export const ORCHESTRATOR_ACCESS: AccessTable<typeof OrchestratorService> = {
  provisionNode: "member", deprovisionNode: "member", snapshotNode: "member", reprovisionNode: "member",
  bulkProvision: "member", bulkDeprovision: "member", getJob: "member", listJobs: "member", watchJob: "member", cancelJob: "member",
  listProvisioned: "member", listNodes: "member", getNode: "member",
  registerNode: "admin", updateNode: "admin", unregisterNode: "admin",
  setNodePower: "member", getNodePower: "member", setNodeBootDevice: "member",
  getQuota: "member", setQuota: "admin", listAuditRecords: "member", checkDrift: "admin",
};
