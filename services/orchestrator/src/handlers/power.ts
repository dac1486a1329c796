import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import { assertMember, type CallContext, type Handlers, type PromiseClient } from "@bmi/grpc";
import { BootDevice, type HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import {
  GetNodePowerResponse, PowerAction, SetNodeBootDeviceResponse, SetNodePowerResponse, type OrchestratorService,
} from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { validateName } from "@bmi/validate";
import type { JobQueries } from "../engine/queries";

type PowerMethods = "setNodePower" | "getNodePower" | "setNodeBootDevice";

/**
 * Power and the boot device of a project's nodes, for its members: haas-gateway's internal RPCs, called on the
 * caller's behalf, so the gateway (and HIL) decide whose node it is. A node a job is working on is refused: the
 * job's steps power it and point its boot themselves, and an operator's cycle in between would race them.
 */
export function powerHandlers(haas: PromiseClient<HaasGatewayClient>, queries: JobQueries): Pick<Handlers<typeof OrchestratorService>, PowerMethods> {
  // The node is looked up before its lock, so that another project's node says nothing about its jobs.
  const idle = async (ctx: CallContext, project: string, node: string) => {
    assertMember(ctx.caller, validateName("project", project));
    const { node: n } = await haas.getNode({ node: validateName("node", node) }, { ctx });
    if (n?.project !== project) throw new NotFoundError(`node ${node} not found in project ${project}`);
    const job = await queries.lockHolder(node);
    if (job) throw new FailedPreconditionError(`node ${node} is busy with job ${job}: wait for it or cancel it`);
  };
  return {
    async setNodePower(req, ctx) {
      const to = { project: req.project, node: req.node };
      if (req.action === PowerAction.POWER_ACTION_UNSPECIFIED || req.action === PowerAction.UNRECOGNIZED) {
        throw new InvalidArgumentError("action: on, off or cycle");
      }
      await idle(ctx, req.project, req.node);
      if (req.action === PowerAction.POWER_ACTION_ON) await haas.powerOn(to, { ctx });
      else if (req.action === PowerAction.POWER_ACTION_OFF) await haas.powerOff(to, { ctx });
      else await haas.powerCycle({ ...to, force: req.force }, { ctx });
      return SetNodePowerResponse.fromPartial({});
    },
    async getNodePower(req, ctx) {
      assertMember(ctx.caller, validateName("project", req.project));
      const { state } = await haas.getPowerStatus({ project: req.project, node: req.node }, { ctx });
      return GetNodePowerResponse.fromPartial({ state });
    },
    async setNodeBootDevice(req, ctx) {
      if (req.device === BootDevice.BOOT_DEVICE_UNSPECIFIED || req.device === BootDevice.UNRECOGNIZED) {
        throw new InvalidArgumentError("device: pxe (the network) or disk");
      }
      await idle(ctx, req.project, req.node);
      await haas.setBootDevice({ project: req.project, node: req.node, device: req.device }, { ctx });
      return SetNodeBootDeviceResponse.fromPartial({});
    },
  };
}
