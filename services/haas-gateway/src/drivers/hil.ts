import { FailedPreconditionError, NotFoundError, PermissionDeniedError, UnauthenticatedError } from "@bmi/errors";
import { mapLimit } from "@bmi/async";
import type {
  BootDevice, CallScope, NetworkChange, NodeDriver, NodeFilter, NodeInfo, NodeSpec, NodeUpdate, Ownership, PowerAction,
  PowerState,
} from "../node-driver";
import { HilBlockedError, HilClient, type HilClientOptions } from "./hil-client";
import { HilNetworks } from "./hil-networks";
import { HilRegistry } from "./hil-registry";
import { showNode } from "./hil-show";
import { deadlineOf, retryBlocked, type HilWaitOptions } from "./hil-wait";

export type HilDriverOptions = HilClientOptions & HilWaitOptions;

const enc = encodeURIComponent;

/** Nodes, networks and power through HIL, always with the caller's own credentials. */
export class HilDriver implements NodeDriver {
  readonly isolated = true;
  private readonly hil: HilClient;
  private readonly networks: HilNetworks;
  private readonly registry: HilRegistry;

  constructor(private readonly opts: HilDriverOptions) {
    this.hil = new HilClient(opts);
    this.networks = new HilNetworks(this.hil, opts);
    this.registry = new HilRegistry(this.hil);
  }

  async listNodes(scope: CallScope, filter: NodeFilter): Promise<NodeInfo[]> {
    const path = filter.kind === "project" ? `/v0/project/${enc(filter.project)}/nodes` : `/v0/nodes/${filter.kind}`;
    const names = (await this.hil.call(scope, "GET", path)) as string[];
    const nodes = await mapLimit(names, 8, (n) => showNode(this.hil, scope, n).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined; // unregistered between the listing and the show
      throw err;
    }));
    return nodes.filter((n): n is NodeInfo => n !== undefined);
  }

  /** HIL's 401 for another project's node is told apart from bad credentials by a call any user may make. */
  async getNode(scope: CallScope, node: string): Promise<NodeInfo> {
    try {
      return await showNode(this.hil, scope, node);
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err;
      await this.hil.call(scope, "GET", "/v0/nodes/free");
      // Another project's node is NOT_FOUND, as everywhere in BMI (the access policy in @bmi/grpc).
      throw new NotFoundError(`node ${node} not found`);
    }
  }

  /**
   * HIL lets anyone see a free node and admins see every node, so seeing a node proves nothing: the project's own
   * node list decides. HIL answers 401 for another project's node; the listing just worked with the same
   * credentials, so that 401 means "not yours", not "bad password".
   */
  async ownership(scope: CallScope, project: string, node: string): Promise<Ownership> {
    const mine = (await this.hil.call(scope, "GET", `/v0/project/${enc(project)}/nodes`)) as string[];
    if (mine.includes(node)) return "owned";
    try {
      return (await showNode(this.hil, scope, node)).project === null ? "free" : "other";
    } catch (err) {
      if (err instanceof UnauthenticatedError) return "other";
      throw err;
    }
  }

  /**
   * Idempotent: HIL answers BlockedError for a node already in a project, which after a retry may be this one (the
   * first attempt's caller died after HIL took it): then the node is ours and nothing is left to do.
   */
  async allocate(scope: CallScope, project: string, node: string): Promise<void> {
    try {
      await this.hil.call(scope, "POST", `/v0/project/${enc(project)}/connect_node`, { node });
    } catch (err) {
      if (!(err instanceof HilBlockedError)) throw err;
      const nodes = (await this.hil.call(scope, "GET", `/v0/project/${enc(project)}/nodes`)) as string[];
      if (!nodes.includes(node)) throw err;
    }
  }

  /** HIL refuses detach_node while OBM is enabled, networks are attached or actions are pending. */
  async release(scope: CallScope, project: string, node: string): Promise<void> {
    // Powered off for certain (OBM enabled for it if need be): the next project must not find it running.
    await this.power(scope, node, "off", true);
    await this.hil.call(scope, "PUT", `/v0/node/${enc(node)}/obm`, { enabled: false });
    await this.networks.detachAll(scope, project, node);
    const freed = async () => !((await this.hil.call(scope, "GET", `/v0/project/${enc(project)}/nodes`)) as string[]).includes(node);
    await retryBlocked(scope, deadlineOf(scope, this.opts.blockedRetryMs),
      () => this.hil.call(scope, "POST", `/v0/project/${enc(project)}/detach_node`, { node }), freed);
  }

  connectNetwork(scope: CallScope, change: NetworkChange): Promise<boolean> {
    return this.networks.connect(scope, change);
  }

  detachNetwork(scope: CallScope, change: NetworkChange): Promise<boolean> {
    return this.networks.detach(scope, change);
  }

  async power(scope: CallScope, node: string, action: PowerAction, force: boolean): Promise<void> {
    // The OBM daemon refuses a power_cycle without {"force": ...}.
    await this.obm(scope, "POST", node, `power_${action}`, action === "cycle" ? { force } : undefined);
  }

  async powerStatus(scope: CallScope, node: string): Promise<PowerState> {
    const body = await this.obm(scope, "GET", node, "power_status", undefined);
    const text = typeof body === "object" && body !== null ? String((body as { power_status?: unknown }).power_status) : String(body);
    if (/\bon\b/i.test(text)) return "on";
    if (/\boff\b/i.test(text)) return "off";
    return "unknown";
  }

  async setBootDevice(scope: CallScope, node: string, device: BootDevice): Promise<void> {
    await this.obm(scope, "PUT", node, "boot_device", { bootdev: device });
  }

  register(scope: CallScope, spec: NodeSpec): Promise<NodeInfo> {
    return asHilAdmin("registering a node", () => this.registry.register(scope, spec));
  }

  update(scope: CallScope, update: NodeUpdate): Promise<NodeInfo> {
    return asHilAdmin("changing a node", () => this.registry.update(scope, update));
  }

  unregister(scope: CallScope, node: string): Promise<void> {
    return asHilAdmin("unregistering a node", () => this.registry.unregister(scope, node));
  }

  async close(): Promise<void> {}

  /**
   * A power call (HIL redirects it to the OBM daemon). HIL answers 409 BlockedError "OBM is not enabled" while the
   * node's OBM is disabled: a fresh allocation, or a release beside this call that disabled it again. So OBM is
   * enabled and the call tried again at once, then with backoff while HIL still says Blocked, within the call's
   * budget; a Blocked that outlasts it ends ABORTED with HIL's message, which the orchestrator retries.
   */
  private async obm(scope: CallScope, method: "GET" | "POST" | "PUT", node: string, op: string, body: object | undefined) {
    const path = `/v0/node/${enc(node)}/${op}`;
    try {
      return await this.hil.redirected(scope, method, path, body);
    } catch (err) {
      if (!(err instanceof FailedPreconditionError)) throw err;
    }
    const result = await retryBlocked(scope, deadlineOf(scope, this.opts.blockedRetryMs), async () => {
      await this.hil.call(scope, "PUT", `/v0/node/${enc(node)}/obm`, { enabled: true });
      return this.hil.redirected(scope, method, path, body);
    }, async () => false);
    return result === "settled" ? undefined : result;
  }
}

/** HIL answers 401 to a non-admin on its admin calls; BMI already authenticated these credentials, so say why. */
async function asHilAdmin<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof UnauthenticatedError)) throw err;
    throw new PermissionDeniedError(`${what} is HIL's admin operation and HIL refused these credentials: ${err.message}`, { cause: err });
  }
}
