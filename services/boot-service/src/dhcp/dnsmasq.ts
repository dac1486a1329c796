import type { BootConfig } from "../boot-config";
import { EFI_X64_ARCHES, macEntries, type HintOptions, type Hints } from "./hints";

/**
 * dnsmasq: tag each provisioned MAC "bmi" (dhcp-hostsfile lines, re-read on SIGHUP), then pick the boot file by
 * tags: iPXE (option 175, or user class "iPXE") gets the script URL; a plain PXE ROM gets an iPXE build over
 * TFTP by client architecture (option 93). The three dhcp-boot lines exclude each other, so order is moot.
 */
export function dnsmasqHints(configs: BootConfig[], o: HintOptions): Hints {
  const hosts = dnsmasqHostLines(configs);
  const server = [
    "# BMI boot-service: network boot rules for provisioned MACs (tag bmi)",
    "dhcp-match=set:bmi-ipxe,175",
    "dhcp-userclass=set:bmi-ipxe,iPXE",
    ...EFI_X64_ARCHES.map((a) => `dhcp-match=set:bmi-efi64,option:client-arch,${a}`),
    `dhcp-boot=tag:bmi,tag:bmi-ipxe,${o.scriptUrl}`,
    `dhcp-boot=tag:bmi,tag:!bmi-ipxe,tag:bmi-efi64,${o.efiFile},,${o.tftpServer}`,
    `dhcp-boot=tag:bmi,tag:!bmi-ipxe,tag:!bmi-efi64,${o.biosFile},,${o.tftpServer}`,
  ];
  const content = [...server, "# provisioned MACs (the same lines, without dhcp-host=, go in a dhcp-hostsfile)",
    ...hosts.map((h) => `dhcp-host=${h}`), ""].join("\n");
  return { content, hostsFile: hosts.length > 0 ? `${hosts.join("\n")}\n` : "" };
}

/** The dhcp-hostsfile lines: each provisioned MAC tagged "bmi". */
export function dnsmasqHostLines(configs: BootConfig[]): string[] {
  return macEntries(configs).map((e) => `${e.mac},set:bmi`);
}
