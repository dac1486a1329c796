import type { BootConfig } from "../boot-config";
import { dnsmasqHints } from "./dnsmasq";
import type { HintOptions, Hints } from "./hints";
import { iscHints } from "./isc";
import { keaHints } from "./kea";

export type { HintOptions, Hints } from "./hints";
export type DhcpFormat = "dnsmasq" | "isc" | "kea";

/** The DHCP entries for every provisioned MAC in `format`. */
export function renderHints(format: DhcpFormat, configs: BootConfig[], o: HintOptions): Hints {
  return { dnsmasq: dnsmasqHints, isc: iscHints, kea: keaHints }[format](configs, o);
}
