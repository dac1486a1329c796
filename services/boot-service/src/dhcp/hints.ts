import type { BootConfig } from "../boot-config";

/** What every DHCP format needs besides the configs. */
export interface HintOptions {
  /** URL of the generic script, handed to clients that already run iPXE. */
  scriptUrl: string;
  /** TFTP server (next-server) for PXE ROMs without iPXE. */
  tftpServer: string;
  /** iPXE builds served over TFTP. */
  biosFile: string;
  efiFile: string;
}

/** A rendered set of hints: the whole text, and for dnsmasq the dhcp-hostsfile lines alone. */
export interface Hints {
  content: string;
  hostsFile: string;
}

/** Every (node, mac) pair, in a stable order. */
export function macEntries(configs: BootConfig[]): Array<{ node: string; mac: string; index: number }> {
  return configs.flatMap((c) => c.macs.map((mac, index) => ({ node: c.node, mac, index })));
}

// Client system architecture (DHCP option 93, RFC 4578 and IANA's registry): 7 and 9 are x86-64 UEFI; 0 is BIOS.
export const EFI_X64_ARCHES = [7, 9];
