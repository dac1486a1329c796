import { macHexHyp } from "@bmi/validate";
import type { BootConfig } from "./boot-config";

/**
 * The SAN disk is BIOS drive 0x80, the first hard disk, whatever local disks the node has (iPXE moves them up):
 * a fixed number also lets a failed attempt unhook exactly the drive it hooked.
 */
const DRIVE = "0x80";

export interface ScriptOptions {
  /** http://host:port the node reached us at: every URL in the script is absolute, whatever fetched it. */
  baseUrl: string;
  /** sanboot attempts before handing back to the firmware. */
  attempts: number;
  retryDelaySeconds: number;
  /** RenderScript shows the script without the secret. */
  maskSecret?: boolean;
}

/**
 * The script every node fetches first (DHCP hands out its URL): it chains to the node's own script by the MAC
 * of the NIC that booted. An unknown MAC gets 404, and the script exits so the firmware tries its next device.
 */
export function genericScript(baseUrl: string): string {
  return [
    "#!ipxe",
    "# BMI: continue with this NIC's own boot script",
    // Fetch, then run: a failed fetch means no config, while a node script that gives up exits on its own.
    `imgfetch --name bmi-node ${baseUrl}/nodes/\${mac:hexhyp}.ipxe || goto bmi-unknown`,
    "imgexec bmi-node || exit 1",
    "exit 1",
    ":bmi-unknown",
    "echo BMI: no boot config for ${mac}: handing back to the firmware",
    "exit 1",
    "",
  ].join("\n");
}

/**
 * A node's script: initiator IQN and CHAP, then sanboot of its target over every portal (iPXE takes the first
 * that answers). keep-san leaves the SAN device registered so the OS finds its root disk through the iBFT. Under
 * UEFI sanboot is given the loader's path (--filename), without which it can hang. Before each attempt the
 * script calls back (boot-phase events); after `attempts` failures it exits, never to a shell, so the
 * firmware can try its next boot device. Callbacks are best effort: a boot never waits on them.
 */
export function nodeScript(c: BootConfig, mac: string, o: ScriptOptions): string {
  const uris = c.target.portals.map((p) => {
    const [host, port] = p.split(":");
    return `iscsi:${host}::${port}:${c.target.lun}:${c.target.iqn}`;
  }).join(" ");
  const phase = (name: string) =>
    `imgfetch --name bmi-cb ${o.baseUrl}/nodes/${macHexHyp(mac)}/phase/${name}?attempt=\${bmi-attempt} && imgfree bmi-cb ||`;
  return [
    "#!ipxe",
    `# BMI boot script: node ${c.node} (project ${c.project}), NIC ${mac}`,
    `set initiator-iqn ${c.initiatorIqn}`,
    `set username ${c.chap.user}`,
    `set password ${o.maskSecret ? "********" : c.chap.secret}`,
    // Mutual CHAP: iPXE then refuses a target that cannot prove it knows the target's own secret.
    ...(c.reverseChap ? [`set reverse-username ${c.reverseChap.user}`, `set reverse-password ${o.maskSecret ? "********" : c.reverseChap.secret}`] : []),
    "set keep-san 1",
    // Typed, or "inc" cannot store the incremented value back ("Operation not supported").
    "set bmi-attempt:int32 0",
    ":bmi-try",
    "inc bmi-attempt",
    `echo BMI: node ${c.node}: sanboot ${c.target.iqn}, attempt \${bmi-attempt} of ${o.attempts}`,
    phase("attempted"),
    "iseq ${platform} efi && goto bmi-efi ||",
    `sanboot --drive ${DRIVE} --keep ${uris} || goto bmi-failed`,
    "goto bmi-failed",
    ":bmi-efi",
    `sanboot --drive ${DRIVE} --keep --filename ${c.efiLoader} ${uris} || goto bmi-failed`,
    ":bmi-failed",
    // A device that registered but did not boot stays hooked (keep): release it, or the next attempt cannot
    // register the same drive ("Could not open SAN device"). sanunhook itself obeys keep-san, hence the toggle.
    "set keep-san 0",
    `sanunhook --drive ${DRIVE} ||`,
    "set keep-san 1",
    phase("failed"),
    `iseq \${bmi-attempt} ${o.attempts} && goto bmi-exit ||`,
    `sleep ${o.retryDelaySeconds}`,
    "goto bmi-try",
    ":bmi-exit",
    `echo BMI: node ${c.node}: no boot from ${c.target.iqn}: handing back to the firmware`,
    "exit 1",
    "",
  ].join("\n");
}
