/**
 * The gateway's view of nodes, and the interface its back ends (drivers/hil.ts, drivers/standalone.ts) implement.
 * Nothing here knows about gRPC: handlers.ts maps protobuf to these types.
 */

/** Who is calling, as the gRPC edge established it. */
export interface Caller {
  user: string;
  projects: readonly string[];
  admin: boolean;
}

/** One call's identity, credentials and time budget; a gRPC CallContext fits it as is. */
export interface CallScope {
  caller: Caller;
  /** The caller's raw authorization header ("Basic ..." or "Bearer ..."), passed through to HIL. */
  authorization?: string | undefined;
  /** Aborts when the caller cancels or its deadline passes. */
  signal: AbortSignal;
  /** Milliseconds since the epoch by which the call must be answered. */
  deadline?: number;
}

export interface NicInfo {
  label: string;
  /** Lowercase, colon separated. */
  mac: string;
  /** channel ("vlan/native", "vlan/<id>") -> network */
  networks: Record<string, string>;
}

export type PowerSpec =
  | { kind: "ipmi"; host: string; user: string; password: string }
  | { kind: "qemu"; qmpSocket: string }
  | { kind: "obmd"; uri: string; adminToken: string };

export interface NodeInfo {
  name: string;
  /** null when the node is free. */
  project: string | null;
  nics: NicInfo[];
  metadata: Record<string, string>;
  /** "ipmi", "qemu", "obm" (hil) or "" when the node has no power control. */
  powerDriver: string;
  registered?: Date;
}

/** What an operator registers. */
export interface NodeSpec {
  name: string;
  nics: { label: string; mac: string }[];
  power?: PowerSpec;
  metadata: Record<string, string>;
}

/** A change to a registered node: NICs and power replaced when given, metadata merged ("" removes a key). */
export interface NodeUpdate {
  name: string;
  nics?: { label: string; mac: string }[];
  power?: PowerSpec;
  metadata: Record<string, string>;
}

export type NodeFilter = { kind: "all" } | { kind: "free" } | { kind: "project"; project: string };
export type PowerAction = "cycle" | "on" | "off";
export type PowerState = "on" | "off" | "unknown";
export type BootDevice = "pxe" | "disk";
/** A node as seen from one project: its own, free, or someone else's. */
export type Ownership = "owned" | "free" | "other";

export interface NetworkChange {
  project: string;
  node: string;
  nic: string;
  network: string;
  /** "vlan/native" when absent. */
  channel?: string;
}

/** A back end that owns nodes. Drivers trust their arguments: the Gateway validated them. */
export interface NodeDriver {
  /** True when NICs are really isolated on VLANs (HIL); the standalone driver only records networks. */
  readonly isolated: boolean;
  listNodes(scope: CallScope, filter: NodeFilter): Promise<NodeInfo[]>;
  getNode(scope: CallScope, node: string): Promise<NodeInfo>;
  ownership(scope: CallScope, project: string, node: string): Promise<Ownership>;
  allocate(scope: CallScope, project: string, node: string): Promise<void>;
  /** Powers off, disables OBM, detaches every network, then frees the node. */
  release(scope: CallScope, project: string, node: string): Promise<void>;
  /** Waits until the change is applied; false when the NIC was already on the network. */
  connectNetwork(scope: CallScope, change: NetworkChange): Promise<boolean>;
  /** false when the NIC was not on the network. */
  detachNetwork(scope: CallScope, change: NetworkChange): Promise<boolean>;
  power(scope: CallScope, node: string, action: PowerAction, force: boolean): Promise<void>;
  powerStatus(scope: CallScope, node: string): Promise<PowerState>;
  setBootDevice(scope: CallScope, node: string, device: BootDevice): Promise<void>;
  register(scope: CallScope, spec: NodeSpec): Promise<NodeInfo>;
  update(scope: CallScope, update: NodeUpdate): Promise<NodeInfo>;
  unregister(scope: CallScope, node: string): Promise<void>;
  close(): Promise<void>;
}
