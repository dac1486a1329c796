import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import type { Redis } from "@bmi/redis";
import type {
  BootDevice, CallScope, NetworkChange, NodeDriver, NodeFilter, NodeInfo, NodeSpec, NodeUpdate, Ownership, PowerAction,
  PowerSpec, PowerState,
} from "../node-driver";
import type { PowerControl } from "../power-control";
import { IPMI_TIMEOUT_MS, IpmiPower } from "./power-ipmi";
import { QemuPower } from "./power-qemu";
import { StandaloneStore, type StoredNode } from "./standalone-store";

const NO_OBMD = "the standalone driver powers nodes through ipmi or qemu, not obmd";

export interface StandaloneOptions {
  redis: Redis;
  /** Key prefix, e.g. "bmi:haas:". */
  prefix: string;
  log: Logger;
  /** The ipmitool binary for IPMI nodes. */
  ipmitool?: string;
}

/**
 * Nodes kept in Redis, for sites without HIL. It cannot isolate NICs on VLANs: networks are only recorded, and
 * the driver says so in every answer that could suggest otherwise (Node.isolated=false, a notice) and in its log.
 */
export class StandaloneDriver implements NodeDriver {
  readonly isolated = false;
  private readonly store: StandaloneStore;
  private readonly powerFor: (spec: PowerSpec, scope: CallScope) => PowerControl;

  constructor(private readonly opts: StandaloneOptions) {
    this.store = new StandaloneStore(opts.redis, opts.prefix);
    this.powerFor = (spec, scope) => {
      if (spec.kind === "ipmi") return new IpmiPower(spec, opts.ipmitool, ipmiTimeout(scope));
      if (spec.kind === "qemu") return new QemuPower(spec.qmpSocket);
      throw new InvalidArgumentError(NO_OBMD);
    };
    opts.log.warn("standalone node driver: no VLAN isolation, nodes of different projects share the network");
  }

  async listNodes(_scope: CallScope, filter: NodeFilter): Promise<NodeInfo[]> {
    const want = filter.kind === "all" ? undefined : filter.kind === "free" ? null : filter.project;
    return (await this.store.all()).map((n) => n.info).filter((n) => want === undefined || n.project === want);
  }

  async getNode(_scope: CallScope, node: string): Promise<NodeInfo> {
    return (await this.load(node)).info;
  }

  async ownership(_scope: CallScope, project: string, node: string): Promise<Ownership> {
    const owner = (await this.load(node)).info.project;
    return owner === project ? "owned" : owner === null ? "free" : "other";
  }

  async allocate(_scope: CallScope, project: string, node: string): Promise<void> {
    if ((await this.store.assign(node, project)) === "other") throw new FailedPreconditionError(`node ${node} is not free`);
  }

  /** Powered off first: the next project must not find the node still running the last one's system. */
  async release(scope: CallScope, project: string, node: string): Promise<void> {
    const { record } = await this.load(node);
    if (record.power) await this.powerFor(record.power, scope).power("off", true);
    if ((await this.store.unassign(node, project)) === "other") {
      throw new FailedPreconditionError(`node ${node} changed hands while being released`);
    }
  }

  async connectNetwork(_scope: CallScope, c: NetworkChange): Promise<boolean> {
    await this.requireNic(c.node, c.nic);
    const res = await this.store.attach(c.node, c.project, c.nic, c.channel ?? "vlan/native", c.network);
    if (res === "busy") throw new FailedPreconditionError(`channel ${c.channel} of ${c.node}/${c.nic} is already in use`);
    if (res === "other") throw new FailedPreconditionError(`node ${c.node} changed hands`);
    this.opts.log.info({ node: c.node, nic: c.nic, network: c.network }, "network recorded, not enforced: no VLAN isolation");
    return res === "ok";
  }

  async detachNetwork(_scope: CallScope, c: NetworkChange): Promise<boolean> {
    await this.requireNic(c.node, c.nic);
    const res = await this.store.attach(c.node, c.project, c.nic, "", "", c.network);
    if (res === "other") throw new FailedPreconditionError(`node ${c.node} changed hands`);
    return res === "ok";
  }

  async power(scope: CallScope, node: string, action: PowerAction, force: boolean): Promise<void> {
    await (await this.control(scope, node)).power(action, force);
  }

  async powerStatus(scope: CallScope, node: string): Promise<PowerState> {
    return (await this.control(scope, node)).status();
  }

  async setBootDevice(scope: CallScope, node: string, device: BootDevice): Promise<void> {
    await (await this.control(scope, node)).setBootDevice(device);
  }

  async register(_scope: CallScope, spec: NodeSpec): Promise<NodeInfo> {
    if (spec.power?.kind === "obmd") throw new InvalidArgumentError(NO_OBMD);
    await this.store.add({ ...spec, registered: new Date().toISOString() });
    return (await this.load(spec.name)).info;
  }

  /** Read, merge, compare-and-set; a concurrent change makes it start over. */
  async update(_scope: CallScope, u: NodeUpdate): Promise<NodeInfo> {
    if (u.power?.kind === "obmd") throw new InvalidArgumentError(NO_OBMD);
    for (let attempt = 0; attempt < 10; attempt++) {
      const { record, raw } = await this.load(u.name);
      const metadata = { ...record.metadata, ...u.metadata };
      for (const [k, v] of Object.entries(u.metadata)) if (v === "") delete metadata[k];
      const next: StoredNode = { ...record, ...(u.nics ? { nics: u.nics } : {}), ...(u.power ? { power: u.power } : {}), metadata };
      if (await this.store.replace(raw, next)) return (await this.load(u.name)).info;
    }
    throw new FailedPreconditionError(`node ${u.name} keeps changing; try again`);
  }

  async unregister(_scope: CallScope, node: string): Promise<void> {
    await this.store.remove(node);
  }

  /** Start-up import of an inventory file: new nodes are registered, known ones kept as they are. */
  async importNodes(specs: NodeSpec[]): Promise<{ added: string[]; kept: string[]; refused: string[] }> {
    const out = { added: [] as string[], kept: [] as string[], refused: [] as string[] };
    const scope: CallScope = { caller: { user: "inventory", projects: [], admin: true }, signal: new AbortController().signal };
    for (const spec of specs) {
      try {
        await this.register(scope, spec);
        out.added.push(spec.name);
      } catch (err) {
        const known = err instanceof AlreadyExistsError && (await this.store.get(spec.name)) !== undefined;
        (known ? out.kept : out.refused).push(spec.name);
        if (!known) this.opts.log.warn({ node: spec.name, err: (err as Error).message }, "inventory node refused");
      }
    }
    return out;
  }

  async close(): Promise<void> {}

  private async load(node: string) {
    const loaded = await this.store.get(node);
    if (!loaded) throw new NotFoundError(`node ${node} is not registered`);
    return loaded;
  }

  private async requireNic(node: string, nic: string): Promise<void> {
    if (!(await this.load(node)).record.nics.some((n) => n.label === nic)) throw new NotFoundError(`node ${node} has no NIC ${nic}`);
  }

  private async control(scope: CallScope, node: string): Promise<PowerControl> {
    const { record } = await this.load(node);
    if (!record.power) throw new FailedPreconditionError(`node ${node} has no power control registered`);
    return this.powerFor(record.power, scope);
  }
}

// An unreachable BMC must not outlast the call: ipmitool gets what is left of the caller's deadline, less a moment
// to answer UNAVAILABLE in time. The fuzzer found ReleaseNode of a node registered with BMC 127.0.0.1 running past
// a 5 s deadline, the ipmitool process living on after the call. The answer then goes back through the caller (the
// orchestrator forwarding GetNodePower): 250 ms was not enough on two loaded cores (the fuzzer's GetNodePower ran
// out its 5 s deadline at load 7, 2026-11-30), so a second.
const ANSWER_MARGIN_MS = 1000;

function ipmiTimeout(scope: CallScope): number {
  return Math.max(1, Math.min(IPMI_TIMEOUT_MS, (scope.deadline ?? Infinity) - Date.now() - ANSWER_MARGIN_MS));
}
