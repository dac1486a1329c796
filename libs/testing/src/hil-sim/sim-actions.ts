import { randomUUID } from "node:crypto";
import type { SimAction, SimNic, SimNode } from "./sim-state";

/**
 * HIL's networking queue: a switch change is recorded as PENDING and applied later by a worker. Until then the
 * NIC is busy and a second action on it is refused with BlockedError.
 */
export class SimActions {
  pendingMs: number;
  /** The next n actions end in ERROR without changing the switch (failure injection). */
  failNext = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly actions: Map<string, SimAction>, pendingMs: number) {
    this.pendingMs = pendingMs;
  }

  /** Queues a port change: `network` null detaches whatever is on `channel`. Returns the status id. */
  start(node: SimNode, nic: SimNic, network: string | null, channel: string): string {
    // HIL keeps a status only until the next action on the same NIC.
    if (nic.lastAction !== null) this.actions.delete(nic.lastAction);
    const action: SimAction = {
      id: randomUUID(), status: "PENDING", node: node.name, nic: nic.label, type: "modify_port", channel,
      new_network: network,
    };
    this.actions.set(action.id, action);
    nic.pending = action.id;
    nic.lastAction = action.id;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.apply(nic, action);
    }, this.pendingMs);
    this.timers.add(timer);
    return action.id;
  }

  private apply(nic: SimNic, action: SimAction): void {
    nic.pending = null;
    if (this.failNext > 0) {
      this.failNext--;
      action.status = "ERROR";
      return;
    }
    if (action.new_network === null) nic.networks.delete(action.channel);
    else nic.networks.set(action.channel, action.new_network);
    action.status = "DONE";
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
