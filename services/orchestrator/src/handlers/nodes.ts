import type { Handlers, PromiseClient } from "@bmi/grpc";
import { FailedPreconditionError } from "@bmi/errors";
import type { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import {
  GetNodeResponse, ListNodesResponse, RegisterNodeResponse, UnregisterNodeResponse, UpdateNodeResponse,
  type OrchestratorService,
} from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { JobAccess } from "../jobs/job-access";
import type { JobQueries } from "../engine/queries";
import { provisionedToProto, requester } from "./job-proto";

type NodeMethods = "listNodes" | "getNode" | "registerNode" | "updateNode" | "unregisterNode";

/**
 * The node inventory, proxied to haas-gateway with the caller's own credentials: the gateway (and HIL behind it)
 * decides who may see or register what. The orchestrator adds what only it knows: whether BMI provisioned a node.
 */
export function nodeHandlers(haas: PromiseClient<HaasGatewayClient>, access: JobAccess, queries: JobQueries):
  Pick<Handlers<typeof OrchestratorService>, NodeMethods> {
  return {
    async listNodes(req, ctx) {
      const res = await haas.listNodes({ filter: req.filter, project: req.project }, { ctx });
      return ListNodesResponse.fromPartial(res);
    },
    async getNode(req, ctx) {
      const { node } = await haas.getNode({ node: req.node }, { ctx });
      const provisioned = await access.provisionedNode(requester(ctx), req.node);
      return GetNodeResponse.fromPartial({ node, ...(provisioned ? { provisioned: provisionedToProto(provisioned) } : {}) });
    },
    async registerNode(req, ctx) {
      return RegisterNodeResponse.fromPartial(await haas.registerNode(req, { ctx }));
    },
    async updateNode(req, ctx) {
      return UpdateNodeResponse.fromPartial(await haas.updateNode(req, { ctx }));
    },
    async unregisterNode(req, ctx) {
      const job = await queries.lockHolder(req.name);
      if (job) throw new FailedPreconditionError(`node ${req.name} is busy with job ${job}`);
      const prov = await queries.provisioned(req.name);
      if (prov) throw new FailedPreconditionError(`node ${req.name} is provisioned (project ${prov.project}): deprovision it first`);
      await haas.unregisterNode({ name: req.name }, { ctx });
      return UnregisterNodeResponse.fromPartial({});
    },
  };
}
