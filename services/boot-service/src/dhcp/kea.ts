import type { BootConfig } from "../boot-config";
import { EFI_X64_ARCHES, macEntries, type HintOptions, type Hints } from "./hints";

/**
 * Kea DHCPv4: reservations for the provisioned MACs and client classes that only match reserved clients
 * (KNOWN) and pick the boot file; merge both lists into the "Dhcp4" section.
 */
export function keaHints(configs: BootConfig[], o: HintOptions): Hints {
  const ipxe = "substring(option[77].hex,0,4) == 'iPXE'";
  const efi = EFI_X64_ARCHES.map((a) => `option[93].hex == 0x${a.toString(16).padStart(4, "0")}`).join(" or ");
  const dhcp4 = {
    "client-classes": [
      { name: "bmi-ipxe", test: `member('KNOWN') and ${ipxe}`, "boot-file-name": o.scriptUrl },
      { name: "bmi-efi64", test: `member('KNOWN') and not (${ipxe}) and (${efi})`, "next-server": o.tftpServer, "boot-file-name": o.efiFile },
      { name: "bmi-bios", test: `member('KNOWN') and not (${ipxe}) and not (${efi})`, "next-server": o.tftpServer, "boot-file-name": o.biosFile },
    ],
    reservations: macEntries(configs).map((e) => ({ "hw-address": e.mac, "user-context": { "bmi-node": e.node } })),
  };
  return { content: `${JSON.stringify({ Dhcp4: dhcp4 }, null, 2)}\n`, hostsFile: "" };
}
