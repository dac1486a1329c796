import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { guarded } from "./die-with-test";

export type VmNetwork =
  /** QEMU's user networking: its DHCP hands out `bootfile`; 10.0.2.2 in the VM is the host's loopback. */
  | { kind: "user"; bootfile?: string }
  /** A tap device that lives in network namespace `netns` (see netns.ts); QEMU runs inside that namespace. */
  | { kind: "tap"; tap: string; netns: string };

export interface VmOptions {
  /** Where the serial log and firmware files go. */
  dir: string;
  name: string;
  mac: string;
  net: VmNetwork;
  /** Stop once the serial log matches (e.g. the boot sector's marker). */
  until?: RegExp;
  /** The VM is killed after this long and bootVm throws with the serial log. */
  deadlineMs: number;
  /** Boot this kernel (e.g. /usr/lib/ipxe/ipxe.lkrn with a script as initrd) instead of the NIC's PXE ROM. */
  kernel?: string;
  initrd?: string;
  /** "uefi" boots OVMF (Debian's ovmf package) instead of SeaBIOS; see `hasOvmf()`. */
  firmware?: "bios" | "uefi";
}

const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/** Whether UEFI VMs can run here (Debian package ovmf). */
export function hasOvmf(): boolean {
  return existsSync(OVMF_CODE) && existsSync(OVMF_VARS);
}

export interface VmResult {
  /** QEMU's exit status; 99 when the marker boot sector ended it through isa-debug-exit. */
  exitCode: number | null;
  serial: string;
  /** From spawn to the match (or exit). */
  ms: number;
  serialFile: string;
}

/**
 * Boots a TCG VM (KVM is not available here) with its serial port in a file, waits for `until` or for QEMU to
 * exit, and always kills it. On deadline it throws with the tail of the serial log, which holds SeaBIOS's and
 * iPXE's console too (SeaBIOS's serial console is switched on).
 */
export async function bootVm(opts: VmOptions): Promise<VmResult> {
  const serialFile = path.join(opts.dir, `${opts.name}.serial.log`);
  writeFileSync(serialFile, "");
  const sercon = path.join(opts.dir, `${opts.name}.sercon`);
  writeFileSync(sercon, Buffer.from([0xf8, 0x03])); // COM1 = 0x3f8, little-endian, as SeaBIOS reads it
  const args = [
    "-machine", "pc,accel=tcg", "-m", "128", "-display", "none", "-nodefaults", "-vga", "none", "-no-reboot",
    "-serial", `file:${serialFile}`, "-monitor", "none", "-fw_cfg", `name=etc/sercon-port,file=${sercon}`,
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", ...firmwareArgs(opts),
    ...netArgs(opts.net), "-device", `e1000,netdev=n0,mac=${opts.mac}`,
    ...(opts.kernel ? ["-kernel", opts.kernel, ...(opts.initrd ? ["-initrd", opts.initrd] : [])] : ["-boot", "n"]),
  ];
  // guarded: QEMU gets SIGKILL if this test process dies first, so no VM outlives its test.
  const qemu = guarded("qemu-system-x86_64", args);
  const [cmd, argv] = opts.net.kind === "tap"
    ? ["nsenter", [`--net=/run/netns/${opts.net.netns}`, qemu[0], ...qemu[1]]]
    : qemu;
  const started = Date.now();
  const child = spawn(cmd, argv as string[], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once("exit", (code) => { exitCode = code; resolve(); }));
  const read = () => (existsSync(serialFile) ? readFileSync(serialFile, "latin1") : "");
  try {
    for (;;) {
      const serial = read();
      if ((opts.until && opts.until.test(serial)) || exitCode !== undefined) {
        return { exitCode: exitCode ?? null, serial, ms: Date.now() - started, serialFile };
      }
      if (Date.now() - started > opts.deadlineMs) {
        throw new Error(`VM ${opts.name} did not finish within ${opts.deadlineMs} ms\n` +
          `--- qemu stderr ---\n${stderr.slice(-1000)}\n--- serial (${serialFile}) ---\n${tail(serial)}`);
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
  } finally {
    if (exitCode === undefined) {
      child.kill("SIGKILL");
      await exited;
    }
  }
}

function firmwareArgs(opts: VmOptions): string[] {
  if (opts.firmware !== "uefi") return [];
  // Each VM gets its own copy of the variable store: OVMF writes boot entries into it.
  const vars = path.join(opts.dir, `${opts.name}.OVMF_VARS.fd`);
  copyFileSync(OVMF_VARS, vars);
  return ["-drive", `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, "-drive", `if=pflash,format=raw,file=${vars}`];
}

function netArgs(net: VmNetwork): string[] {
  if (net.kind === "tap") return ["-netdev", `tap,id=n0,ifname=${net.tap},script=no,downscript=no`];
  // Keep slirp's IPv6: without a router advertisement iPXE's DHCP waits about 13 s for one.
  return ["-netdev", `user,id=n0${net.bootfile ? `,bootfile=${net.bootfile}` : ""}`];
}

/** The serial log without SeaBIOS's terminal escapes and carriage returns, last 3000 characters. */
function tail(serial: string): string {
  return serial.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "").slice(-3000);
}
