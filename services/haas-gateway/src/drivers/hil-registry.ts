import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import { mapLimit } from "@bmi/async";
import type { CallScope, NodeInfo, NodeSpec, NodeUpdate } from "../node-driver";
import type { HilClient } from "./hil-client";
import { showNode } from "./hil-show";

const enc = encodeURIComponent;

/**
 * Registering nodes is HIL's admin operation: PUT /v0/node/<n> with the node's OBM daemon, then one PUT per NIC
 * with its MAC. HIL itself accepts the same MAC on two nodes, so the gateway checks that first.
 */
export class HilRegistry {
  constructor(private readonly hil: HilClient) {}

  async register(scope: CallScope, spec: NodeSpec): Promise<NodeInfo> {
    if (spec.power?.kind !== "obmd") {
      throw new InvalidArgumentError(`HIL registers node ${spec.name} with its OBM daemon: give power obmd {uri, admin_token}`);
    }
    await this.assertMacsFree(scope, spec.name, spec.nics.map((n) => n.mac));
    const body = { obmd: { uri: spec.power.uri, admin_token: spec.power.adminToken }, metadata: spec.metadata };
    try {
      await this.hil.call(scope, "PUT", `/v0/node/${enc(spec.name)}`, body);
    } catch (err) {
      if (err instanceof FailedPreconditionError) throw new AlreadyExistsError(`node ${spec.name} is already registered: ${err.message}`);
      throw err;
    }
    try {
      for (const nic of spec.nics) await this.addNic(scope, spec.name, nic);
    } catch (err) {
      // Half a node is worse than none: take it out again so a retry starts clean.
      await this.removeQuietly(scope, spec.name, spec.nics.map((n) => n.label));
      throw err;
    }
    return showNode(this.hil, scope, spec.name);
  }

  async update(scope: CallScope, u: NodeUpdate): Promise<NodeInfo> {
    if (u.power) {
      throw new FailedPreconditionError(`HIL cannot change the OBM daemon of node ${u.name}: unregister and register it again`);
    }
    const current = await showNode(this.hil, scope, u.name);
    if (u.nics) {
      await this.assertMacsFree(scope, u.name, u.nics.map((n) => n.mac));
      const same = (a: { label: string; mac: string }, b: { label: string; mac: string }) => a.label === b.label && a.mac === b.mac;
      for (const old of current.nics.filter((o) => !u.nics?.some((n) => same(n, o)))) {
        await this.hil.call(scope, "DELETE", `/v0/node/${enc(u.name)}/nic/${enc(old.label)}`);
      }
      for (const nic of u.nics.filter((n) => !current.nics.some((o) => same(n, o)))) await this.addNic(scope, u.name, nic);
    }
    for (const [key, value] of Object.entries(u.metadata)) {
      const path = `/v0/node/${enc(u.name)}/metadata/${enc(key)}`;
      if (value !== "") await this.hil.call(scope, "PUT", path, { value });
      else if (key in current.metadata) await this.hil.call(scope, "DELETE", path);
    }
    return showNode(this.hil, scope, u.name);
  }

  async unregister(scope: CallScope, name: string): Promise<void> {
    const node = await showNode(this.hil, scope, name);
    if (node.project !== null) {
      throw new FailedPreconditionError(`node ${name} is allocated to project ${node.project}: release it before unregistering`);
    }
    for (const nic of node.nics) await this.hil.call(scope, "DELETE", `/v0/node/${enc(name)}/nic/${enc(nic.label)}`);
    await this.hil.call(scope, "DELETE", `/v0/node/${enc(name)}`);
  }

  private async addNic(scope: CallScope, node: string, nic: { label: string; mac: string }): Promise<void> {
    await this.hil.call(scope, "PUT", `/v0/node/${enc(node)}/nic/${enc(nic.label)}`, { macaddr: nic.mac });
  }

  /** Every registered node is read (admin listing): registration is rare, a duplicate MAC breaks PXE for both. */
  private async assertMacsFree(scope: CallScope, self: string, macs: string[]): Promise<void> {
    const names = ((await this.hil.call(scope, "GET", "/v0/nodes/all")) as string[]).filter((n) => n !== self);
    const nodes = await mapLimit(names, 8, (n) => showNode(this.hil, scope, n).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined; // unregistered meanwhile
      throw err;
    }));
    for (const node of nodes) {
      const clash = node?.nics.find((nic) => macs.includes(nic.mac));
      if (node && clash) {
        throw new AlreadyExistsError(`MAC address ${clash.mac} is already registered on node ${node.name} (NIC ${clash.label})`);
      }
    }
  }

  private async removeQuietly(scope: CallScope, node: string, labels: string[]): Promise<void> {
    for (const label of labels) {
      await this.hil.call(scope, "DELETE", `/v0/node/${enc(node)}/nic/${enc(label)}`).catch(() => undefined);
    }
    await this.hil.call(scope, "DELETE", `/v0/node/${enc(node)}`).catch(() => undefined);
  }
}
