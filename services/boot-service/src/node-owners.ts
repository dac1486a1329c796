import type { CallContext } from "@bmi/grpc";

/** Who holds a node and which MACs it has: what a boot config may bind. Implemented by drivers/haas-nodes.ts. */
export interface NodeOwners {
  /** The node's project ("" when free) and its NICs' MACs (lower case); NOT_FOUND for an unknown node. */
  node(ctx: CallContext, name: string): Promise<{ project: string; macs: string[] }>;
}
