import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import { assertAdmin, assertMember, isMember } from "@bmi/grpc";
import { validateName } from "@bmi/validate";
import type {
  BootDevice, CallScope, NetworkChange, NodeDriver, NodeFilter, NodeInfo, NodeSpec, NodeUpdate, PowerAction,
  PowerState,
} from "./node-driver";
import { validateNodeSpec, validateNodeUpdate } from "./node-spec";

/** Said in answers and logs by a driver that cannot put NICs on VLANs. */
export const NO_ISOLATION_NOTICE =
  "standalone driver: no VLAN isolation; networks are recorded but every node shares the same wire";

const CHANNEL = /^vlan\/(native|\d{1,4})$/;

/**
 * The gateway's rules, whatever the back end: who may do what, and that a node is acted on only by the project
 * that holds it (the original BMI never checked). Inputs are validated here; drivers trust them.
 */
export class Gateway {
  constructor(private readonly driver: NodeDriver) {}

  get isolated(): boolean {
    return this.driver.isolated;
  }

  /** Empty, or the warning that this back end does not isolate nodes. */
  get notice(): string {
    return this.driver.isolated ? "" : NO_ISOLATION_NOTICE;
  }

  async listNodes(scope: CallScope, filter: NodeFilter): Promise<NodeInfo[]> {
    if (filter.kind === "all") assertAdmin(scope.caller, "listing every node");
    if (filter.kind === "project") assertMember(scope.caller, validateName("project", filter.project));
    return this.driver.listNodes(scope, filter);
  }

  async getNode(scope: CallScope, name: string): Promise<NodeInfo> {
    const node = await this.driver.getNode(scope, validateName("node", name));
    if (node.project !== null && !isMember(scope.caller, node.project)) {
      throw new NotFoundError(`node ${name} not found`);
    }
    return node;
  }

  /** True when allocated now, false when the project already held it. */
  async allocate(scope: CallScope, project: string, node: string): Promise<boolean> {
    this.checkNames(scope, project, node);
    const owner = await this.driver.ownership(scope, project, node);
    if (owner === "owned") return false;
    if (owner === "other") throw new FailedPreconditionError(`node ${node} is not free`);
    await this.driver.allocate(scope, project, node);
    return true;
  }

  /** Idempotent: a node that is already free is left alone. */
  async release(scope: CallScope, project: string, node: string): Promise<void> {
    this.checkNames(scope, project, node);
    const owner = await this.driver.ownership(scope, project, node);
    if (owner === "free") return;
    if (owner === "other") throw notYours(project, node);
    await this.driver.release(scope, project, node);
  }

  async connectNetwork(scope: CallScope, change: NetworkChange): Promise<boolean> {
    await this.checkChange(scope, change);
    if (change.channel !== undefined && change.channel !== "" && !CHANNEL.test(change.channel)) {
      throw new InvalidArgumentError(`channel ${JSON.stringify(change.channel)} is not vlan/native or vlan/<id>`);
    }
    return this.driver.connectNetwork(scope, { ...change, ...(change.channel ? {} : { channel: "vlan/native" }) });
  }

  async detachNetwork(scope: CallScope, change: NetworkChange): Promise<boolean> {
    await this.checkChange(scope, change);
    return this.driver.detachNetwork(scope, change);
  }

  async power(scope: CallScope, project: string, node: string, action: PowerAction, force = false): Promise<void> {
    await this.checkOwned(scope, project, node);
    await this.driver.power(scope, node, action, force);
  }

  async powerStatus(scope: CallScope, project: string, node: string): Promise<PowerState> {
    await this.checkOwned(scope, project, node);
    return this.driver.powerStatus(scope, node);
  }

  async setBootDevice(scope: CallScope, project: string, node: string, device: BootDevice): Promise<void> {
    await this.checkOwned(scope, project, node);
    await this.driver.setBootDevice(scope, node, device);
  }

  async register(scope: CallScope, spec: NodeSpec): Promise<NodeInfo> {
    assertAdmin(scope.caller, "registering a node");
    return this.driver.register(scope, validateNodeSpec(spec));
  }

  async update(scope: CallScope, update: NodeUpdate): Promise<NodeInfo> {
    assertAdmin(scope.caller, "changing a registered node");
    return this.driver.update(scope, validateNodeUpdate(update));
  }

  async unregister(scope: CallScope, name: string): Promise<void> {
    assertAdmin(scope.caller, "unregistering a node");
    return this.driver.unregister(scope, validateName("node", name));
  }

  private checkNames(scope: CallScope, project: string, node: string): void {
    validateName("node", node);
    assertMember(scope.caller, validateName("project", project));
  }

  private async checkOwned(scope: CallScope, project: string, node: string): Promise<void> {
    this.checkNames(scope, project, node);
    if ((await this.driver.ownership(scope, project, node)) !== "owned") throw notYours(project, node);
  }

  private async checkChange(scope: CallScope, c: NetworkChange): Promise<void> {
    validateName("NIC", c.nic);
    validateName("network", c.network);
    await this.checkOwned(scope, c.project, c.node);
  }
}

/** Another project's node is NOT_FOUND, as everywhere in BMI (the access policy in @bmi/grpc). */
function notYours(project: string, node: string): NotFoundError {
  return new NotFoundError(`node ${node} not found in project ${project}`);
}
