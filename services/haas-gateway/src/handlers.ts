import { batchOf, INTERNAL, type AccessTable, type Handlers } from "@bmi/grpc";
import {
  AllocateNodeResponse, ConnectNetworkResponse, DetachNetworkResponse, GetNodeResponse, GetPowerStatusResponse,
  ListNodesResponse, PowerCycleResponse, PowerOffResponse, PowerOnResponse, RegisterNodeResponse, ReleaseNodeResponse,
  SetBootDeviceResponse, UnregisterNodeResponse, UpdateNodeResponse, type HaasGatewayService,
} from "@bmi/proto/bmi/haas/v1/haas";
import type { Gateway } from "./gateway";
import {
  bootDeviceFromProto, filterFromProto, nicsFromProto, nodeToProto, powerFromProto, powerStateToProto,
} from "./node-proto";

/**
 * Nodes are reached through the orchestrator, which forwards its user; boot-service also reads a node, to bind a
 * boot config only to the project that holds it. Admins may call anything directly.
 */
export const HAAS_ACCESS: AccessTable<HaasGatewayService> = {
  listNodes: INTERNAL, getNode: { services: ["orchestrator", "boot-service"] }, allocateNode: INTERNAL,
  releaseNode: INTERNAL, connectNetwork: INTERNAL, detachNetwork: INTERNAL, powerCycle: INTERNAL, powerOn: INTERNAL,
  powerOff: INTERNAL, getPowerStatus: INTERNAL, setBootDevice: INTERNAL, registerNode: INTERNAL, updateNode: INTERNAL,
  unregisterNode: INTERNAL, getNodes: { services: ["orchestrator", "boot-service"] }, allocateNodes: INTERNAL, releaseNodes: INTERNAL,
};

/** bmi.haas.v1.HaasGateway: each handler maps its request to one Gateway call and the result back. */
export function gatewayHandlers(gw: Gateway): Handlers<HaasGatewayService> {
  const node = (n: Parameters<typeof nodeToProto>[0]) => nodeToProto(n, gw.isolated);
  const single: Omit<Handlers<HaasGatewayService>, "getNodes" | "allocateNodes" | "releaseNodes"> = {
    async listNodes(req, ctx) {
      const nodes = await gw.listNodes(ctx, filterFromProto(req.filter, req.project, ctx.caller.admin));
      return ListNodesResponse.fromPartial({ nodes: nodes.map(node), notice: gw.notice });
    },
    async getNode(req, ctx) {
      return GetNodeResponse.fromPartial({ node: node(await gw.getNode(ctx, req.node)) });
    },
    async allocateNode(req, ctx) {
      const allocated = await gw.allocate(ctx, req.project, req.node);
      return AllocateNodeResponse.fromPartial({ node: node(await gw.getNode(ctx, req.node)), allocated });
    },
    async releaseNode(req, ctx) {
      await gw.release(ctx, req.project, req.node);
      return ReleaseNodeResponse.fromPartial({});
    },
    async connectNetwork(req, ctx) {
      const changed = await gw.connectNetwork(ctx, {
        project: req.project, node: req.node, nic: req.nic, network: req.network, ...(req.channel ? { channel: req.channel } : {}),
      });
      return ConnectNetworkResponse.fromPartial({ changed, notice: gw.notice });
    },
    async detachNetwork(req, ctx) {
      const changed = await gw.detachNetwork(ctx, { project: req.project, node: req.node, nic: req.nic, network: req.network });
      return DetachNetworkResponse.fromPartial({ changed });
    },
    async powerCycle(req, ctx) {
      await gw.power(ctx, req.project, req.node, "cycle", req.force);
      return PowerCycleResponse.fromPartial({});
    },
    async powerOn(req, ctx) {
      await gw.power(ctx, req.project, req.node, "on");
      return PowerOnResponse.fromPartial({});
    },
    async powerOff(req, ctx) {
      await gw.power(ctx, req.project, req.node, "off");
      return PowerOffResponse.fromPartial({});
    },
    async getPowerStatus(req, ctx) {
      return GetPowerStatusResponse.fromPartial({ state: powerStateToProto(await gw.powerStatus(ctx, req.project, req.node)) });
    },
    async setBootDevice(req, ctx) {
      await gw.setBootDevice(ctx, req.project, req.node, bootDeviceFromProto(req.device));
      return SetBootDeviceResponse.fromPartial({});
    },
    async registerNode(req, ctx) {
      const power = powerFromProto(req.power);
      const registered = await gw.register(ctx, {
        name: req.name, nics: nicsFromProto(req.nics), metadata: req.metadata, ...(power ? { power } : {}),
      });
      return RegisterNodeResponse.fromPartial({ node: node(registered) });
    },
    async updateNode(req, ctx) {
      const power = powerFromProto(req.power);
      const updated = await gw.update(ctx, {
        name: req.name, metadata: req.metadata, ...(req.nics.length > 0 ? { nics: nicsFromProto(req.nics) } : {}),
        ...(power ? { power } : {}),
      });
      return UpdateNodeResponse.fromPartial({ node: node(updated) });
    },
    async unregisterNode(req, ctx) {
      await gw.unregister(ctx, req.name);
      return UnregisterNodeResponse.fromPartial({});
    },
  };
  // The batched methods run each item through its single method (see @bmi/grpc batchOf).
  return {
    ...single,
    getNodes: batchOf(single.getNode),
    allocateNodes: batchOf(single.allocateNode),
    releaseNodes: batchOf(single.releaseNode),
  };
}
