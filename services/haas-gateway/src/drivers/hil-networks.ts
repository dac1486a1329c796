import { NotFoundError, UnavailableError } from "@bmi/errors";
import type { CallScope, NetworkChange } from "../node-driver";
import type { HilClient } from "./hil-client";
import { showNode } from "./hil-show";
import { deadlineOf, retryBlocked, waitForAction, type HilWaitOptions } from "./hil-wait";

const enc = encodeURIComponent;

/**
 * NIC network changes through HIL: each is queued (202 + status id) and applied later by HIL's switch worker, so
 * every change is followed until DONE; a NIC busy with another action is retried, never failed at once.
 */
export class HilNetworks {
  constructor(private readonly hil: HilClient, private readonly opts: HilWaitOptions) {}

  async connect(scope: CallScope, c: NetworkChange): Promise<boolean> {
    const attached = async () => (await this.networksOf(scope, c.node, c.nic)).includes(c.network);
    if (await attached()) return false;
    const path = `/v0/node/${enc(c.node)}/nic/${enc(c.nic)}/connect_network`;
    const body = { network: c.network, ...(c.channel ? { channel: c.channel } : {}) };
    return this.change(scope, path, body, attached);
  }

  async detach(scope: CallScope, c: NetworkChange): Promise<boolean> {
    const detached = async () => !(await this.networksOf(scope, c.node, c.nic)).includes(c.network);
    if (await detached()) return false;
    const path = `/v0/node/${enc(c.node)}/nic/${enc(c.nic)}/detach_network`;
    return this.change(scope, path, { network: c.network }, detached);
  }

  /** Detaches every network from every NIC of `node` (NICs in parallel, networks of one NIC one after another). */
  async detachAll(scope: CallScope, project: string, node: string): Promise<void> {
    const info = await showNode(this.hil, scope, node);
    await Promise.all(info.nics.map(async (nic) => {
      for (const network of Object.values(nic.networks)) {
        await this.detach(scope, { project, node, nic: nic.label, network });
      }
    }));
  }

  /** Posts the change (retrying while blocked) and waits for it; false when `settled` already held. */
  private async change(scope: CallScope, path: string, body: object, settled: () => Promise<boolean>): Promise<boolean> {
    const deadline = deadlineOf(scope, this.opts.blockedRetryMs + this.opts.actionTimeoutMs);
    const posted = await retryBlocked(scope, deadlineOf(scope, this.opts.blockedRetryMs),
      () => this.hil.call(scope, "POST", path, body), settled);
    if (posted === "settled") return false;
    const id = (posted as { status_id?: unknown } | undefined)?.status_id;
    // An old HIL applies changes synchronously and answers 200 without a status id.
    if (typeof id !== "string") return true;
    const outcome = await waitForAction(this.hil, scope, id, deadline);
    if (outcome === "gone" && !(await settled())) {
      throw new UnavailableError(`HIL forgot networking action ${id} before it could be confirmed`);
    }
    return true;
  }

  private async networksOf(scope: CallScope, node: string, nic: string): Promise<string[]> {
    const info = await showNode(this.hil, scope, node);
    const found = info.nics.find((n) => n.label === nic);
    if (!found) throw new NotFoundError(`node ${node} has no NIC ${nic}`);
    return Object.values(found.networks);
  }
}
