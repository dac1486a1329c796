import { InvalidArgumentError } from "@bmi/errors";
import { assertProject, type Caller, type Handlers } from "@bmi/grpc";
import {
  BootConfig as PbBootConfig, BootServiceService, ClearBootConfigResponse, DhcpFormat as PbFormat, GetBootConfigResponse,
  ListBootConfigsResponse, RenderDhcpHintsResponse, RenderScriptResponse, SetBootConfigResponse,
} from "@bmi/proto/bmi/boot/v1/boot";
import { Firmware as PbFirmware } from "@bmi/proto/bmi/common/v1/common";
import { normalizeMac } from "@bmi/validate";
import type { BootConfig, Firmware } from "./boot-config";
import type { BootConfigs } from "./boot-configs";
import { renderHints, type DhcpFormat, type HintOptions } from "./dhcp";
import { nodeScript, type ScriptOptions } from "./ipxe-script";

export interface HandlerOptions {
  hints: HintOptions;
  script: Omit<ScriptOptions, "maskSecret">;
}

const FORMATS: Record<number, DhcpFormat> = { [PbFormat.DHCP_FORMAT_UNSPECIFIED]: "dnsmasq", [PbFormat.DHCP_FORMAT_DNSMASQ]: "dnsmasq", [PbFormat.DHCP_FORMAT_ISC]: "isc", [PbFormat.DHCP_FORMAT_KEA]: "kea" };
const FIRMWARE: Record<Firmware, PbFirmware> = { unspecified: PbFirmware.FIRMWARE_UNSPECIFIED, bios: PbFirmware.FIRMWARE_BIOS, uefi: PbFirmware.FIRMWARE_UEFI };

/** bmi.boot.v1.BootService: protobuf in, domain call, protobuf out. */
export function bootHandlers(configs: BootConfigs, o: HandlerOptions): Handlers<typeof BootServiceService> {
  /** The caller's view of a node: NOT_FOUND when it has no config, PERMISSION_DENIED when it is another project's. */
  const owned = async (caller: Caller, node: string) => {
    const c = await configs.get(node);
    assertProject(caller, c.project);
    return c;
  };
  const visible = (caller: Caller, project: string) => {
    if (project) assertProject(caller, project);
    return project ? [project] : caller.admin ? undefined : caller.projects;
  };
  return {
    setBootConfig: async (req, ctx) => {
      const c = req.config;
      if (!c) throw new InvalidArgumentError("config is required");
      assertProject(ctx.caller, c.project);
      const existing = await configs.get(c.node).catch(() => undefined);
      if (existing) assertProject(ctx.caller, existing.project);
      return SetBootConfigResponse.fromPartial({ config: toPb(await configs.set(fromPb(c)), true) });
    },
    clearBootConfig: async (req, ctx) => {
      const existing = await configs.get(req.node).catch(() => undefined);
      if (existing) assertProject(ctx.caller, existing.project);
      return ClearBootConfigResponse.fromPartial({ cleared: existing ? await configs.clear(req.node) : false });
    },
    getBootConfig: async (req, ctx) => GetBootConfigResponse.fromPartial({ config: toPb(await owned(ctx.caller, req.node), true) }),
    listBootConfigs: async (req, ctx) =>
      ListBootConfigsResponse.fromPartial({ configs: (await configs.list(visible(ctx.caller, req.project))).map((c) => toPb(c, false)) }),
    renderDhcpHints: async (req, ctx) => {
      const format = FORMATS[req.format];
      if (!format) throw new InvalidArgumentError(`unknown DHCP format ${req.format}`);
      const hints = renderHints(format, await configs.list(visible(ctx.caller, req.project)), o.hints);
      return RenderDhcpHintsResponse.fromPartial({ content: hints.content, hostsFile: hints.hostsFile });
    },
    renderScript: async (req, ctx) => {
      const c = await owned(ctx.caller, req.node);
      const mac = req.mac ? normalizeMac(req.mac) : (c.macs[0] ?? "");
      if (!c.macs.includes(mac)) throw new InvalidArgumentError(`MAC ${req.mac} is not one of node ${c.node}'s`);
      return RenderScriptResponse.fromPartial({ script: nodeScript(c, mac, { ...o.script, maskSecret: true }) });
    },
  };
}

function fromPb(c: PbBootConfig): Omit<BootConfig, "updated"> {
  const firmware = (Object.keys(FIRMWARE) as Firmware[]).find((k) => FIRMWARE[k] === c.firmware) ?? "unspecified";
  return {
    node: c.node, project: c.project, macs: c.macs, initiatorIqn: c.initiatorIqn, firmware, efiLoader: c.efiLoader,
    target: { iqn: c.target?.iqn ?? "", portals: c.target?.portals ?? [], lun: c.target?.lun ?? 1 },
    chap: { user: c.chap?.user ?? "", secret: c.chap?.secret ?? "" },
  };
}

function toPb(c: BootConfig, withSecret: boolean): PbBootConfig {
  return PbBootConfig.fromPartial({
    node: c.node, project: c.project, macs: c.macs, target: c.target, initiatorIqn: c.initiatorIqn,
    chap: { user: c.chap.user, secret: withSecret ? c.chap.secret : "" }, firmware: FIRMWARE[c.firmware],
    efiLoader: c.efiLoader, updated: new Date(c.updated),
  });
}
