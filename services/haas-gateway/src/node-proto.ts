import { InvalidArgumentError } from "@bmi/errors";
import {
  BootDevice, Node, NodeFilter, PowerState, type Nic, type PowerSpec as PowerSpecPb,
} from "@bmi/proto/bmi/haas/v1/haas";
import type * as domain from "./node-driver";

/** Protobuf <-> domain for nodes. Power passwords and tokens are write only: never mapped back out. */
export function nodeToProto(n: domain.NodeInfo, isolated: boolean): Node {
  return Node.fromPartial({
    name: n.name,
    project: n.project ?? "",
    nics: n.nics.map((nic) => ({ label: nic.label, mac: nic.mac, networks: nic.networks })),
    isolated,
    metadata: n.metadata,
    powerDriver: n.powerDriver,
    ...(n.registered ? { registered: n.registered } : {}),
  });
}

export function nicsFromProto(nics: Nic[]): { label: string; mac: string }[] {
  return nics.map((n) => ({ label: n.label, mac: n.mac }));
}

export function powerFromProto(p: PowerSpecPb | undefined): domain.PowerSpec | undefined {
  if (p?.ipmi) return { kind: "ipmi", host: p.ipmi.host, user: p.ipmi.user, password: p.ipmi.password };
  if (p?.qemu) return { kind: "qemu", qmpSocket: p.qemu.qmpSocket };
  if (p?.obmd) return { kind: "obmd", uri: p.obmd.uri, adminToken: p.obmd.adminToken };
  return undefined;
}

/** UNSPECIFIED means: the project's nodes when one is named, every node for an admin, else the free ones. */
export function filterFromProto(filter: NodeFilter, project: string, admin: boolean): domain.NodeFilter {
  switch (filter) {
    case NodeFilter.NODE_FILTER_ALL:
      return { kind: "all" };
    case NodeFilter.NODE_FILTER_FREE:
      return { kind: "free" };
    case NodeFilter.NODE_FILTER_PROJECT:
      if (project === "") throw new InvalidArgumentError("NODE_FILTER_PROJECT needs a project");
      return { kind: "project", project };
    default:
      if (project !== "") return { kind: "project", project };
      return admin ? { kind: "all" } : { kind: "free" };
  }
}

export function bootDeviceFromProto(d: BootDevice): domain.BootDevice {
  if (d === BootDevice.BOOT_DEVICE_PXE) return "pxe";
  if (d === BootDevice.BOOT_DEVICE_DISK) return "disk";
  throw new InvalidArgumentError("boot device must be BOOT_DEVICE_PXE or BOOT_DEVICE_DISK");
}

export function powerStateToProto(s: domain.PowerState): PowerState {
  if (s === "on") return PowerState.POWER_STATE_ON;
  if (s === "off") return PowerState.POWER_STATE_OFF;
  return PowerState.POWER_STATE_UNKNOWN;
}
