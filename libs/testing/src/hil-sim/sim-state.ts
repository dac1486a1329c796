import { randomUUID } from "node:crypto";

/** An error HIL answers with: HTTP status plus its JSON `{type, msg}` body. */
export class HilFault extends Error {
  constructor(readonly status: number, readonly type: string, msg: string) {
    super(msg);
  }
}

export const faults = {
  badArgument: (msg: string) => new HilFault(400, "BadArgumentError", msg),
  validation: (msg: string) => new HilFault(400, "ValidationError", msg),
  authorization: (msg: string) => new HilFault(401, "AuthorizationError", msg),
  notFound: (msg: string) => new HilFault(404, "NotFoundError", msg),
  duplicate: (msg: string) => new HilFault(409, "DuplicateError", msg),
  blocked: (msg: string) => new HilFault(409, "BlockedError", msg),
  projectMismatch: (msg: string) => new HilFault(409, "ProjectMismatchError", msg),
  illegalState: (msg: string) => new HilFault(409, "IllegalStateError", msg),
};

export interface SimUser { password: string; admin: boolean; projects: Set<string> }
export interface SimNic {
  label: string;
  macaddr: string;
  /** Switch port; HIL refuses network changes on a NIC without one. */
  port: string | null;
  /** channel -> network */
  networks: Map<string, string>;
  /** Id of the networking action still pending on this NIC. */
  pending: string | null;
  lastAction: string | null;
}
export interface SimNode {
  name: string;
  project: string | null;
  obmd: { uri: string; adminToken: string };
  obmEnabled: boolean;
  /** Token HIL hands out in power redirects while OBM is enabled. */
  obmToken: string | null;
  power: "on" | "off";
  bootdev: string;
  nics: Map<string, SimNic>;
  /** label -> JSON text, as HIL stores it. */
  metadata: Map<string, string>;
}
export interface SimNetwork { name: string; owner: string | null; access: Set<string>; netId: string }
export interface SimAction {
  id: string;
  status: "PENDING" | "DONE" | "ERROR";
  node: string;
  nic: string;
  type: "modify_port";
  channel: string;
  new_network: string | null;
}

/** HIL's database, in memory. Seed helpers let tests set up users, projects, networks and nodes directly. */
export class SimState {
  readonly users = new Map<string, SimUser>();
  readonly tokens = new Map<string, string>();
  readonly projects = new Set<string>();
  readonly nodes = new Map<string, SimNode>();
  readonly networks = new Map<string, SimNetwork>();
  readonly actions = new Map<string, SimAction>();
  obmdUrl = "";
  private nextVlan = 100;

  addUser(name: string, password: string, opts: { admin?: boolean; projects?: string[]; token?: string } = {}): void {
    for (const p of opts.projects ?? []) this.projects.add(p);
    this.users.set(name, { password, admin: opts.admin === true, projects: new Set(opts.projects ?? []) });
    if (opts.token !== undefined) this.tokens.set(opts.token, name);
  }

  addProject(name: string): void {
    this.projects.add(name);
  }

  addNetwork(name: string, opts: { owner?: string | null; access?: string[]; netId?: string } = {}): SimNetwork {
    const net: SimNetwork = {
      name,
      owner: opts.owner ?? null,
      access: new Set(opts.access ?? []),
      netId: opts.netId ?? String(this.nextVlan++),
    };
    this.networks.set(name, net);
    return net;
  }

  /** A node with NICs wired to switch ports (unless `port: null`), optionally already in a project. */
  addNode(name: string, opts: { nics?: { label: string; mac: string; port?: string | null }[]; project?: string } = {}): SimNode {
    const node = this.newNode(name, { uri: `${this.obmdUrl}/node/${name}`, adminToken: randomUUID() });
    node.project = opts.project ?? null;
    if (node.project !== null) this.projects.add(node.project);
    (opts.nics ?? []).forEach((n, i) => {
      node.nics.set(n.label, this.newNic(n.label, n.mac, n.port === undefined ? `gi1/0/${i + 1}` : n.port));
    });
    this.nodes.set(name, node);
    return node;
  }

  newNode(name: string, obmd: { uri: string; adminToken: string }): SimNode {
    return {
      name, project: null, obmd, obmEnabled: false, obmToken: null, power: "off", bootdev: "disk",
      nics: new Map(), metadata: new Map(),
    };
  }

  newNic(label: string, macaddr: string, port: string | null): SimNic {
    return { label, macaddr, port, networks: new Map(), pending: null, lastAction: null };
  }

  node(name: string): SimNode {
    const node = this.nodes.get(name);
    if (!node) throw faults.notFound(`Node "${name}" does not exist.`);
    return node;
  }

  nic(node: SimNode, label: string): SimNic {
    const nic = node.nics.get(label);
    if (!nic) throw faults.notFound(`Nic "${label}" on node "${node.name}" does not exist.`);
    return nic;
  }

  network(name: string): SimNetwork {
    const net = this.networks.get(name);
    if (!net) throw faults.notFound(`Network "${name}" does not exist.`);
    return net;
  }

  project(name: string): string {
    if (!this.projects.has(name)) throw faults.notFound(`Project "${name}" does not exist.`);
    return name;
  }
}
