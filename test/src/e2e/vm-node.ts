import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { REPO_ROOT, type VmNetwork } from "@bmi/testing";
import { parseDemoSerial, type DemoBoot } from "../demo-image";

/** Failed boots leave their serial logs here (the test's temporary directory is removed). */
export const SERIAL_LOG_DIR = path.join(REPO_ROOT, ".run", "test-logs", "serial");

export interface VmNodeOptions {
  /** Serial logs and the QMP socket go here. */
  dir: string;
  name: string;
  mac: string;
  net: VmNetwork;
  /** The VM's memory (default 128 MiB: the demo image and BMI's Linux image; a role image's daemons want more). */
  memoryMiB?: number;
}

/** One boot of a VM node, from power-on (SeaBIOS's first output) to QEMU's exit. */
export interface VmBoot {
  /** 99: the demo image ran to the end; 101: it reported a disk error. */
  exitCode: number | null;
  serial: string;
  serialFile: string;
  /** What the demo image printed, if it ran. */
  demo: DemoBoot | undefined;
  /** From power-on to exit. */
  ms: number;
}

/**
 * A QEMU VM (TCG) that stands for a bare-metal node: it network-boots from its NIC's iPXE ROM, and its power is
 * its QMP socket, which haas-gateway's standalone driver drives (power on = system_reset + cont). The VM starts
 * paused (-S), i.e. powered off with its BMC answering. The demo image ends QEMU at the end of a boot, so `arm()`
 * starts a fresh paused process before each boot the orchestrator triggers; `stop()` kills whatever runs.
 */
export class VmNode {
  readonly qmpSocket: string;
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);
  private boots = 0;
  private serialFile = "";

  constructor(readonly opts: VmNodeOptions) {
    this.qmpSocket = path.join(opts.dir, `${opts.name}.qmp`);
  }

  get name(): string {
    return this.opts.name;
  }

  get mac(): string {
    return this.opts.mac;
  }

  /** Starts a new QEMU process for the next boot: paused (powered off) unless `running`. */
  async arm(opts: { running?: boolean } = {}): Promise<void> {
    await this.stop();
    this.boots += 1;
    this.serialFile = path.join(this.opts.dir, `${this.opts.name}.boot${this.boots}.serial.log`);
    writeFileSync(this.serialFile, "");
    const sercon = path.join(this.opts.dir, `${this.opts.name}.sercon`);
    writeFileSync(sercon, Buffer.from([0xf8, 0x03])); // SeaBIOS's console on COM1 too: its and iPXE's lines land in the log
    // No -no-reboot: the gateway powers a VM on with system_reset, which -no-reboot turns into an exit.
    const args = [
      "-machine", "pc,accel=tcg", "-m", String(this.opts.memoryMiB ?? 128), "-display", "none", "-nodefaults", "-vga", "none",
      "-serial", `file:${this.serialFile}`, "-monitor", "none", "-qmp", `unix:${this.qmpSocket},server,nowait`,
      "-fw_cfg", `name=etc/sercon-port,file=${sercon}`, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      ...netdev(this.opts.net), "-device", `e1000,netdev=n0,mac=${this.opts.mac}`, "-boot", "n",
      ...(opts.running ? [] : ["-S"]),
    ];
    const [cmd, argv] = this.opts.net.kind === "tap"
      ? ["nsenter", [`--net=/run/netns/${this.opts.net.netns}`, "qemu-system-x86_64", ...args]]
      : ["qemu-system-x86_64", args];
    const child = spawn(cmd, argv as string[], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
    this.child = child;
    // A test or demo that dies (an uncaught error, process.exit) must not leave its VMs running.
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    this.exit = new Promise((resolve) => child.once("exit", (code) => {
      process.removeListener("exit", killOnExit);
      resolve(code);
    }));
    await waitForSocket(this.qmpSocket, 10_000, () => child.exitCode === null && child.signalCode === null)
      .catch((err: Error) => { throw new Error(`${err.message}\n${stderr.slice(-1000)}`); });
  }

  /**
   * Waits until QEMU exits (the demo image ends it) or `deadlineMs` passes; on the deadline the VM is killed and
   * the error carries the tail of its serial log (SeaBIOS, iPXE and the image), which is also kept on disk.
   */
  async waitForExit(deadlineMs: number): Promise<VmBoot> {
    // This boot's process, exit and log: arm() may start the next boot before this wait is over.
    const { child, exit, serialFile } = this;
    if (!child) throw new Error(`VM ${this.name} is not running`);
    const read = () => (existsSync(serialFile) ? readFileSync(serialFile, "latin1") : "");
    const started = Date.now();
    let poweredOn: number | undefined;
    let code: number | null | undefined;
    void exit.then((c) => { code = c; });
    while (code === undefined) {
      poweredOn ??= read().length > 0 ? Date.now() : undefined;
      if (Date.now() - started > deadlineMs) {
        child.kill("SIGKILL");
        await exit;
        throw new Error(`VM ${this.name} did not finish its boot within ${deadlineMs} ms; serial log kept at ` +
          `${keepLog(this.opts.dir, serialFile)}\n--- serial (tail) ---\n${tail(read())}`);
      }
      await Promise.race([exit, new Promise((r) => setTimeout(r, 50))]);
    }
    if (this.child === child) this.child = undefined;
    const serial = read();
    return { exitCode: code, serial, serialFile, demo: parseDemoSerial(serial), ms: Date.now() - (poweredOn ?? started) };
  }

  /** Waits until the serial log matches `re` (e.g. a refusal), then kills the VM. Throws after `deadlineMs`. */
  async waitForSerial(re: RegExp, deadlineMs: number): Promise<string> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const serial = this.serial();
      if (re.test(serial.replace(/\r/g, ""))) {
        await this.stop();
        return serial;
      }
      if (Date.now() > until || this.child === undefined || this.child.exitCode !== null) {
        await this.stop();
        throw new Error(`VM ${this.name}: ${re} not seen within ${deadlineMs} ms; serial log kept at ${this.keepLog()}\n` +
          `--- serial (tail) ---\n${tail(serial)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The current boot's serial log, as a failed assertion should show it. */
  describe(): string {
    return `serial log ${this.keepLog()}\n${tail(this.serial())}`;
  }

  /** Kills the QEMU process if one runs. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await this.exit;
    }
  }

  /** The current boot's serial log so far (SeaBIOS, iPXE and the demo image). */
  serial(): string {
    return this.serialFile && existsSync(this.serialFile) ? readFileSync(this.serialFile, "latin1") : "";
  }

  private keepLog(): string {
    return keepLog(this.opts.dir, this.serialFile);
  }
}

/** Copies a serial log out of the test's directory (removed at the end) into SERIAL_LOG_DIR; answers the copy. */
function keepLog(dir: string, serialFile: string): string {
  mkdirSync(SERIAL_LOG_DIR, { recursive: true });
  const kept = path.join(SERIAL_LOG_DIR, `${path.basename(dir)}-${path.basename(serialFile)}`);
  if (serialFile && existsSync(serialFile)) copyFileSync(serialFile, kept);
  return kept;
}

function netdev(n: VmNetwork): string[] {
  if (n.kind === "tap") return ["-netdev", `tap,id=n0,ifname=${n.tap},script=no,downscript=no`];
  return ["-netdev", `user,id=n0${n.bootfile ? `,bootfile=${n.bootfile}` : ""}`];
}

/** Resolves once something accepts connections on the unix socket at `file`. */
async function waitForSocket(file: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.createConnection(file, () => { s.destroy(); resolve(true); });
        s.once("error", () => resolve(false));
      });
      if (ok) return;
    }
    if (!alive() || Date.now() > until) throw new Error(`QEMU did not open its QMP socket ${file}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** The serial log without SeaBIOS's terminal escapes and carriage returns, last 3000 characters. */
export function tail(serial: string): string {
  return serial.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "").slice(-3000);
}
