import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type { Logger } from "@bmi/log";
import { timed } from "@bmi/metrics";
import { QmpClient, QmpError } from "@bmi/qmp";
import { backendSeconds } from "../backend-metrics";
import { run } from "../exec";

/**
 * The one qemu-storage-daemon that serves every local disk: each disk is a qcow2 node plus a FUSE export that
 * shows it as a raw file, added and removed at run time over QMP. By default the daemon dies with image-service
 * (even on SIGKILL: nothing outlives a crash, and the next start clears its dead mounts and exports every disk
 * again). `detached` daemons outlive the service instead, so a restart does not pull disks from under tgtd; the
 * next start adopts a running daemon through its PID file and QMP socket, whichever way it was started.
 */
export class StorageDaemon {
  private constructor(private readonly dir: string, private readonly qmp: QmpClient, readonly pid: number, private readonly log: Logger) {}

  static async open(dir: string, mountsUnder: string, log: Logger, opts: { detached?: boolean } = {}): Promise<StorageDaemon> {
    await mkdir(dir, { recursive: true });
    const socket = path.join(dir, "qmp.sock");
    const pidFile = path.join(dir, "qsd.pid");
    let pid = await livePid(pidFile, socket);
    if (pid === undefined) {
      await unmountStale(mountsUnder, log);
      await rm(socket, { force: true });
      const args = ["--chardev", `socket,id=qmp0,path=${socket},server=on,wait=off`, "--monitor", "chardev=qmp0", "--pidfile", pidFile];
      pid = opts.detached ? await startDetached(args, pidFile) : await startAttached(args, socket);
      log.info({ daemonPid: pid, detached: opts.detached === true }, "qemu-storage-daemon started");
    } else {
      log.info({ daemonPid: pid }, "qemu-storage-daemon adopted");
    }
    const qmp = await QmpClient.connect(socket, { observe: (op, call) => timed(backendSeconds, { backend: "storage-daemon", op }, call) });
    return new StorageDaemon(dir, qmp, pid, log);
  }

  /** Export ids currently served. */
  async exports(): Promise<Set<string>> {
    const list = await this.qmp.execute<Array<{ id: string }>>("query-block-exports");
    return new Set(list.map((e) => e.id));
  }

  /** Serves qcow2 file `image` as a raw file at `mountpoint` under export `id` (also the node name). */
  async add(id: string, image: string, mountpoint: string): Promise<void> {
    await writeFile(mountpoint, "", { flag: "a" }); // a FUSE export mounts over an existing regular file
    await this.qmp.execute("blockdev-add", { driver: "qcow2", "node-name": id, file: { driver: "file", filename: image } });
    try {
      await this.qmp.execute("block-export-add", { type: "fuse", id, "node-name": id, mountpoint, writable: true });
    } catch (err) {
      await this.qmp.execute("blockdev-del", { "node-name": id }).catch(() => undefined);
      throw err;
    }
  }

  /** Stops serving `id`; missing exports and nodes are fine (removal is idempotent). */
  async remove(id: string): Promise<void> {
    const deleted = this.qmp.waitEvent("BLOCK_EXPORT_DELETED", (d) => d.id === id, 10_000);
    try {
      await this.qmp.execute("block-export-del", { id });
      await deleted;
    } catch (err) {
      deleted.catch(() => undefined);
      if (!(err instanceof QmpError)) throw err; // no such export: already gone
    }
    await this.qmp.execute("blockdev-del", { "node-name": id }).catch((err: unknown) => {
      if (!(err instanceof QmpError)) throw err;
    });
  }

  /** Closes the QMP connection and leaves the daemon serving (a restart adopts it). */
  detach(): void {
    this.qmp.close();
  }

  /** SIGTERM: the daemon unmounts every export and exits. */
  async stop(): Promise<void> {
    this.qmp.close();
    try {
      process.kill(this.pid, "SIGTERM");
    } catch {
      return;
    }
    for (let i = 0; i < 100 && alive(this.pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (alive(this.pid)) process.kill(this.pid, "SIGKILL");
    await rm(path.join(this.dir, "qsd.pid"), { force: true });
    this.log.info({ daemonPid: this.pid }, "qemu-storage-daemon stopped");
  }
}

async function startDetached(args: string[], pidFile: string): Promise<number> {
  await run("qemu-storage-daemon", [...args, "--daemonize"]); // returns once the daemon is ready
  return Number((await readFile(pidFile, "utf8")).trim());
}

/** A child that gets SIGKILL when this process dies (setpriv execs it: the PID is the daemon's). */
async function startAttached(args: string[], socket: string): Promise<number> {
  const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", "qemu-storage-daemon", ...args], { stdio: "ignore" });
  child.unref();
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`qemu-storage-daemon exited (${code})`))));
  exited.catch(() => undefined);
  for (let i = 0; i < 200; i++) {
    if (await canConnect(socket)) return child.pid as number;
    await Promise.race([new Promise((r) => setTimeout(r, 25)), exited]);
  }
  child.kill("SIGKILL");
  throw new Error("qemu-storage-daemon did not open its QMP socket within 5 s");
}

function canConnect(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

/** The PID in `pidFile` if that process is still our daemon (PIDs get reused: its command line names `socket`). */
async function livePid(pidFile: string, socket: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.includes(socket) ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** A daemon killed with SIGKILL leaves its FUSE mounts behind ("transport endpoint is not connected"). */
async function unmountStale(under: string, log: Logger): Promise<void> {
  const prefix = `${path.resolve(under)}/`;
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  for (const line of mountinfo.split("\n")) {
    const point = line.split(" ")[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point?.startsWith(prefix) && / - fuse /.test(line)) {
      await run("fusermount3", ["-u", "-z", point]).catch((err: unknown) => log.warn({ err, point }, "stale FUSE mount not removed"));
    }
  }
}
