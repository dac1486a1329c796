import type { BootConfig } from "../boot-config";
import { EFI_X64_ARCHES, macEntries, type HintOptions, type Hints } from "./hints";

/** ISC dhcpd: one host block per MAC, choosing the boot file by user class and client architecture. */
export function iscHints(configs: BootConfig[], o: HintOptions): Hints {
  const arch = EFI_X64_ARCHES.map((a) => `option arch = 00:${a.toString(16).padStart(2, "0")}`).join(" or ");
  const blocks = macEntries(configs).map((e) => [
    `host "bmi-${e.node}-${e.index}" {`,
    `  hardware ethernet ${e.mac};`,
    `  next-server ${o.tftpServer};`,
    `  if exists user-class and option user-class = "iPXE" {`,
    `    filename "${o.scriptUrl}";`,
    `  } elsif ${arch} {`,
    `    filename "${o.efiFile}";`,
    "  } else {",
    `    filename "${o.biosFile}";`,
    "  }",
    "}",
  ].join("\n"));
  const content = [
    "# BMI boot-service: once, at the top of dhcpd.conf",
    "option arch code 93 = unsigned integer 16;",
    "",
    ...blocks,
    "",
  ].join("\n");
  return { content, hostsFile: "" };
}
