import { InvalidArgumentError, NotFoundError } from "@bmi/errors";
import { assertMember, batchOf, INTERNAL, visibleProjects, type AccessTable, type Caller, type Handlers } from "@bmi/grpc";
import {
  ArmBootConfigResponse, BootBinding as PbBootBinding, BootConfig as PbBootConfig, BootServiceService, ClearBootConfigResponse, DhcpFormat as PbFormat, GetBootConfigResponse,
  ListBootConfigsResponse, RenderDhcpHintsResponse, RenderScriptResponse, SetBootConfigResponse,
} from "@bmi/proto/bmi/boot/v1/boot";
import { Firmware as PbFirmware } from "@bmi/proto/bmi/common/v1/common";
import { normalizeMac } from "@bmi/validate";
import type { Binding, BootConfig, Firmware } from "./boot-config";
import type { BootConfigs } from "./boot-configs";
import type { NodeOwners } from "./node-owners";
import { renderHints, type DhcpFormat, type HintOptions } from "./dhcp";
import { nodeScript, type ScriptOptions } from "./ipxe-script";

export interface HandlerOptions {
  hints: HintOptions;
  script: Omit<ScriptOptions, "maskSecret">;
}

const FORMATS: Record<number, DhcpFormat> = { [PbFormat.DHCP_FORMAT_UNSPECIFIED]: "dnsmasq", [PbFormat.DHCP_FORMAT_DNSMASQ]: "dnsmasq", [PbFormat.DHCP_FORMAT_ISC]: "isc", [PbFormat.DHCP_FORMAT_KEA]: "kea" };
const FIRMWARE: Record<Firmware, PbFirmware> = { unspecified: PbFirmware.FIRMWARE_UNSPECIFIED, bios: PbFirmware.FIRMWARE_BIOS, uefi: PbFirmware.FIRMWARE_UEFI };

/**
 * Boot configs carry CHAP secrets and decide what a MAC boots: only the orchestrator (for a user) or an admin
 * manages them. Nodes themselves use the HTTP script server, not this API.
 */
export const BOOT_ACCESS: AccessTable<typeof BootServiceService> = {
  setBootConfig: INTERNAL, clearBootConfig: INTERNAL, getBootConfig: INTERNAL, listBootConfigs: INTERNAL,
  renderDhcpHints: INTERNAL, renderScript: INTERNAL, armBootConfig: INTERNAL, setBootConfigs: INTERNAL, clearBootConfigs: INTERNAL,
};

/** bmi.boot.v1.BootService: protobuf in, domain call, protobuf out. */
export function bootHandlers(configs: BootConfigs, nodes: NodeOwners, o: HandlerOptions): Handlers<typeof BootServiceService> {
  /** The caller's view of a node's config: NOT_FOUND when it has none or it is another project's. */
  const owned = async (caller: Caller, node: string) => {
    const c = await configs.get(node);
    assertMember(caller, c.project, `boot config of node ${node}`);
    return c;
  };
  const single: Omit<Handlers<typeof BootServiceService>, "setBootConfigs" | "clearBootConfigs"> = {
    setBootConfig: async (req, ctx) => {
      const c = req.config;
      if (!c) throw new InvalidArgumentError("config is required");
      assertMember(ctx.caller, c.project);
      // The project that holds the node in haas-gateway (HIL) decides, not the request: a config binds only that
      // project's node, and only its own MACs. Asked while the node's config is read: the two are independent reads,
      // and the call to haas-gateway is most of this call's time. Nothing is written before both are checked.
      const holder = nodes.node(ctx, c.node);
      holder.catch(() => undefined);
      const existing = await configs.get(c.node).catch(() => undefined);
      if (existing) assertMember(ctx.caller, existing.project, `boot config of node ${c.node}`);
      const config = fromPb(c);
      const held = await holder;
      if (held.project !== c.project) throw new NotFoundError(`node ${c.node} not found in project ${c.project}`);
      const foreign = config.macs.map(normalizeMac).filter((m) => !held.macs.includes(m));
      if (foreign.length > 0) throw new InvalidArgumentError(`MAC ${foreign.join(", ")} is not one of node ${c.node}'s`);
      return SetBootConfigResponse.fromPartial({ config: toPb(await configs.set(config), true) });
    },
    clearBootConfig: async (req, ctx) => {
      const existing = await configs.get(req.node).catch(() => undefined);
      if (existing) assertMember(ctx.caller, existing.project, `boot config of node ${req.node}`);
      // The request names only the node: its audit record gets the project here.
      if (existing && ctx.audit) ctx.audit.project ||= existing.project;
      return ClearBootConfigResponse.fromPartial({ cleared: existing ? await configs.clear(req.node) : false });
    },
    getBootConfig: async (req, ctx) => GetBootConfigResponse.fromPartial({ config: toPb(await owned(ctx.caller, req.node), true) }),
    listBootConfigs: async (req, ctx) =>
      ListBootConfigsResponse.fromPartial({ configs: (await configs.list(visibleProjects(ctx.caller, req.project))).map((c) => toPb(c, false)) }),
    renderDhcpHints: async (req, ctx) => {
      const format = FORMATS[req.format];
      if (!format) throw new InvalidArgumentError(`unknown DHCP format ${req.format}`);
      const hints = renderHints(format, await configs.list(visibleProjects(ctx.caller, req.project)), o.hints);
      return RenderDhcpHintsResponse.fromPartial({ content: hints.content, hostsFile: hints.hostsFile });
    },
    renderScript: async (req, ctx) => {
      const c = await owned(ctx.caller, req.node);
      const mac = req.mac ? normalizeMac(req.mac) : (c.macs[0] ?? "");
      if (!c.macs.includes(mac)) throw new InvalidArgumentError(`MAC ${req.mac} is not one of node ${c.node}'s`);
      return RenderScriptResponse.fromPartial({ script: nodeScript(c, mac, { ...o.script, maskSecret: true }) });
    },
    armBootConfig: async (req, ctx) => {
      await owned(ctx.caller, req.node);
      return ArmBootConfigResponse.fromPartial({ binding: bindingToPb(await configs.arm(req.node)) });
    },
  };
  // The batched methods run each item through its single method (see @bmi/grpc batchOf).
  return {
    ...single,
    setBootConfigs: batchOf(single.setBootConfig),
    clearBootConfigs: batchOf(single.clearBootConfig),
  };
}

function fromPb(c: PbBootConfig): Omit<BootConfig, "updated"> {
  const firmware = (Object.keys(FIRMWARE) as Firmware[]).find((k) => FIRMWARE[k] === c.firmware) ?? "unspecified";
  return {
    node: c.node, project: c.project, macs: c.macs, initiatorIqn: c.initiatorIqn, firmware, efiLoader: c.efiLoader,
    target: { iqn: c.target?.iqn ?? "", portals: c.target?.portals ?? [], lun: c.target?.lun ?? 1 },
    chap: { user: c.chap?.user ?? "", secret: c.chap?.secret ?? "" },
    ...(c.reverseChap?.user ? { reverseChap: { user: c.reverseChap.user, secret: c.reverseChap.secret } } : {}),
    ...(c.metadata ? { metadata: { hostname: c.metadata.hostname, userData: c.metadata.userData } } : {}),
  };
}

function toPb(c: BootConfig, withSecret: boolean): PbBootConfig {
  return PbBootConfig.fromPartial({
    node: c.node, project: c.project, macs: c.macs, target: c.target, initiatorIqn: c.initiatorIqn,
    chap: { user: c.chap.user, secret: withSecret ? c.chap.secret : "" }, firmware: FIRMWARE[c.firmware],
    efiLoader: c.efiLoader, updated: new Date(c.updated),
    reverseChap: c.reverseChap ? { user: c.reverseChap.user, secret: withSecret ? c.reverseChap.secret : "" } : undefined,
    binding: bindingToPb(c.binding),
    // user-data may carry the tenant's secrets: like CHAP's, only where the secret is shown.
    metadata: c.metadata ? { hostname: c.metadata.hostname, userData: withSecret ? c.metadata.userData : "" } : undefined,
  });
}

function bindingToPb(b: Binding | undefined): PbBootBinding | undefined {
  const at = (iso: string | undefined) => (iso ? new Date(iso) : undefined);
  return b ? PbBootBinding.fromPartial({ address: b.address, armed: at(b.armed), bound: at(b.bound), targetAcl: b.targetAcl }) : undefined;
}
