import { NotFoundError } from "@bmi/errors";
import { createClient, withBatching, type CallContext, type PromiseClient, type TlsFiles } from "@bmi/grpc";
import { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import { normalizeMac } from "@bmi/validate";
import type { NodeOwners } from "../node-owners";

/** Node ownership as haas-gateway (HIL, or the standalone inventory) states it, asked for the caller. */
export class HaasNodeOwners implements NodeOwners {
  private readonly client: PromiseClient<HaasGatewayClient>;

  constructor(address: string, tls: TlsFiles | undefined, deadlineMs = 10_000) {
    // Many SetBootConfig calls at once (a bulk job's) ask about their nodes in GetNodes calls.
    this.client = withBatching(createClient(HaasGatewayClient, address, { deadlineMs, name: "haas-gateway", ...(tls ? { tls } : {}) }),
      "haas-gateway", { getNode: "getNodes" });
  }

  async node(ctx: CallContext, name: string): Promise<{ project: string; macs: string[] }> {
    const { node } = await this.client.getNode({ node: name }, { ctx });
    if (!node) throw new NotFoundError(`node ${name} not found`);
    return { project: node.project, macs: node.nics.filter((n) => n.mac).map((n) => normalizeMac(n.mac)) };
  }

  close(): void {
    this.client.close();
  }
}
