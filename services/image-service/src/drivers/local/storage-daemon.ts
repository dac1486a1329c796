import { spawn } from "node:child_process";
import { accessSync, constants, linkSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, readFile, readlink, realpath, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type { Logger } from "@bmi/log";
import { timed } from "@bmi/metrics";
import { QmpClient, QmpError, translateQmpError } from "@bmi/qmp";
import { backendSeconds } from "../backend-metrics";
import { run } from "../exec";

/**
 * A qemu-storage-daemon serving disks: each disk is a qcow2 node plus a FUSE export that shows it as a raw file,
 * added and removed at run time over QMP. One daemon holds at most about 1,000 exports (exports.ts runs several).
 * By default the daemon dies with image-service (even on SIGKILL: nothing outlives a crash, and the next start
 * clears its dead mounts and exports every disk again). `detached` daemons outlive the service instead, so a
 * restart does not pull disks from under tgtd; the next start adopts a running daemon through its PID file and QMP
 * socket, whichever way it was started.
 *
 * Debian's daemon (QEMU 7.2) reads its QMP commands one byte per system call (several system calls per byte), so
 * there the length of a command is most of its cost; BMI's build of it (`daemonBinary`, deploy/qemu/build.sh)
 * reads up to 4 KiB per system call, with the same order and queueing. Either way a daemon this service starts runs
 * in the data directory and is given paths relative to it ("disks/ID.qcow2", not the whole path); one whose working
 * directory is elsewhere (one started by an earlier version) is given whole paths.
 */
export class StorageDaemon {
  private constructor(
    private readonly dir: string, private readonly qmp: QmpClient, readonly pid: number, private readonly log: Logger,
    private readonly files: DaemonFiles, private readonly relative: boolean,
  ) {}

  /** The daemon whose PID file and QMP socket are in `dir`, if it is still running. */
  static async adopt(dir: string, log: Logger, files: DaemonFiles): Promise<StorageDaemon | undefined> {
    const pid = await livePid(path.join(dir, "qsd.pid"), path.join(dir, "qmp.sock"));
    if (pid === undefined) return undefined;
    // Which binary it runs ("... (deleted)" once that file was replaced, by deploy/qemu/build.sh or a package upgrade).
    const binary = await readlink(`/proc/${pid}/exe`).catch(() => "unknown");
    log.info({ daemonPid: pid, dir, binary, bmiBuild: binary.startsWith(BMI_QSD) }, "qemu-storage-daemon adopted");
    return StorageDaemon.connect(dir, pid, log, files, await runsIn(pid, files.root));
  }

  /** Adopts the daemon in `dir` or starts one there. */
  static async open(dir: string, log: Logger, files: DaemonFiles, opts: { detached?: boolean } = {}): Promise<StorageDaemon> {
    const adopted = await StorageDaemon.adopt(dir, log, files);
    if (adopted) return adopted;
    await mkdir(dir, { recursive: true });
    const socket = path.join(dir, "qmp.sock");
    const pidFile = path.join(dir, "qsd.pid");
    await rm(socket, { force: true });
    const args = ["--chardev", `socket,id=qmp0,path=${socket},server=on,wait=off`, "--monitor", "chardev=qmp0", "--pidfile", pidFile];
    const binary = daemonBinary();
    const pid = await start(binary, args, socket, files.root, opts.detached === true);
    log.info({ daemonPid: pid, dir, detached: opts.detached === true, binary, bmiBuild: binary === BMI_QSD },
      binary === BMI_QSD ? "qemu-storage-daemon started (BMI's build)" : "qemu-storage-daemon started (Debian's: BMI's build is not installed)");
    return StorageDaemon.connect(dir, pid, log, files, true);
  }

  private static async connect(dir: string, pid: number, log: Logger, files: DaemonFiles, relative: boolean): Promise<StorageDaemon> {
    const observe = <T>(op: string, call: () => Promise<T>) => timed(backendSeconds, { backend: "storage-daemon", op }, call);
    const qmp = await QmpClient.connect(path.join(dir, "qmp.sock"), { observe }).catch((err: unknown) => {
      throw translateQmpError(err);
    });
    return new StorageDaemon(dir, qmp, pid, log, files, relative);
  }

  /** The exports served: export id -> the name of its node. */
  async exports(): Promise<Map<string, string>> {
    const list = await this.call<Array<{ id: string; "node-name": string }>>("query-block-exports");
    return new Map(list.map((e) => [e.id, e["node-name"]]));
  }

  /** The nodes added under a name (not those QEMU named itself, "#block123"): name -> the file it opened. */
  async nodes(): Promise<Map<string, string>> {
    const list = await this.call<Array<{ "node-name": string; file: string }>>("query-named-block-nodes", { flat: true });
    return new Map(list.filter((n) => !n["node-name"].startsWith("#")).map((n) => [n["node-name"], n.file]));
  }

  /**
   * Serves qcow2 file `image` as a raw file at `mountpoint` under export `id` (also the node name). Idempotent: a
   * node an interrupted add left is used, an export already there is kept. The mount point is made first, a hard
   * link to `files.mountSource` (a FUSE export mounts over an existing file).
   */
  async add(id: string, image: string, mountpoint: string): Promise<void> {
    makeMountPoint(this.files.mountSource, mountpoint);
    let added = true;
    await this.qmp.execute("blockdev-add", { driver: "qcow2", "node-name": id, file: { driver: "file", filename: this.path(image) } }).catch((err: unknown) => {
      if (!(err instanceof QmpError && /Duplicate nodes? with node-name/i.test(err.desc))) throw translateQmpError(err);
      added = false;
    });
    try {
      await this.qmp.execute("block-export-add", { type: "fuse", id, "node-name": id, mountpoint: this.path(mountpoint), writable: true }).catch((err: unknown) => {
        if (!(err instanceof QmpError && /already in use/.test(err.desc))) throw err;
      });
    } catch (err) {
      if (added) await this.qmp.execute("blockdev-del", { "node-name": id }).catch(() => undefined);
      throw translateQmpError(err);
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
      if (!(err instanceof QmpError)) throw translateQmpError(err); // no such export: already gone
    }
    await this.qmp.execute("blockdev-del", { "node-name": id }).catch((err: unknown) => {
      if (!(err instanceof QmpError)) throw translateQmpError(err);
    });
  }

  /** `file` as this daemon is to be told it: relative to the data directory where the daemon runs there. */
  private path(file: string): string {
    return this.relative && file.startsWith(`${this.files.root}/`) ? file.slice(this.files.root.length + 1) : file;
  }

  /** False once the daemon process is gone (killed, crashed): its mounts are dead. */
  alive(): boolean {
    return alive(this.pid);
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
    this.log.info({ daemonPid: this.pid, dir: this.dir }, "qemu-storage-daemon stopped");
  }

  private call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
    return this.qmp.execute<T>(command, args).catch((err: unknown) => {
      throw translateQmpError(err);
    });
  }
}

/** BMI's qemu-storage-daemon, installed by deploy/qemu/build.sh: Debian's with QMP read many bytes per system call. */
export const BMI_QSD = "/usr/local/lib/bmi/qemu-storage-daemon";
/** Debian's (package qemu-system-common), found on PATH. */
export const DEBIAN_QSD = "qemu-storage-daemon";

/** The daemon binary to start: BMI's build when it is installed, Debian's otherwise. The one place that chooses. */
export function daemonBinary(): string {
  try {
    accessSync(BMI_QSD, constants.X_OK);
    return BMI_QSD;
  } catch {
    return DEBIAN_QSD;
  }
}

/**
 * Starts a daemon in `cwd` and answers its PID once its QMP socket accepts connections. Attached: setpriv execs it
 * (the PID is the daemon's) with SIGKILL when this process dies. Detached: a session of its own that outlives this
 * process (not --daemonize, which would move it to /).
 */
async function start(binary: string, args: string[], socket: string, cwd: string, detached: boolean): Promise<number> {
  const [command, ...rest] = detached
    ? [binary, ...args]
    : ["setpriv", "--pdeathsig", "KILL", "--", binary, ...args];
  const child = spawn(command as string, rest, { stdio: "ignore", cwd, detached });
  child.unref();
  const exited = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`qemu-storage-daemon exited (${code})`)));
  });
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

/** Where a daemon's files are: the data directory (its working directory) and the mount points' source. */
export interface DaemonFiles {
  root: string;
  mountSource: string;
}

/** Whether process `pid` runs in directory `dir`. */
async function runsIn(pid: number, dir: string): Promise<boolean> {
  const [cwd, real] = await Promise.all([readlink(`/proc/${pid}/cwd`).catch(() => ""), realpath(dir).catch(() => dir)]);
  return cwd === real;
}

/** A hard link to `source` at `mountpoint` (one there already is kept); a file of its own if the link fails. */
function makeMountPoint(source: string, mountpoint: string): void {
  try {
    linkSync(source, mountpoint);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") writeFileSync(mountpoint, "", { flag: "a" });
  }
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

/**
 * Unmounts the FUSE mounts under `under` but those in `keep`: a daemon killed with SIGKILL leaves its mounts behind
 * ("transport endpoint is not connected").
 */
export async function unmountStale(under: string, keep: Set<string>, log: Logger): Promise<void> {
  const stale = async () => {
    const prefix = `${path.resolve(under)}/`;
    const out: string[] = [];
    for (const line of (await readFile("/proc/self/mountinfo", "utf8")).split("\n")) {
      const point = line.split(" ")[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      if (point?.startsWith(prefix) && / - fuse /.test(line) && !keep.has(point)) out.push(point);
    }
    return out;
  };
  // One umount for many (image-service runs as root): a program run per mount was most of a restart after a crash
  // (250 dead exports: 250 fusermount3 runs, about 40 s on two busy cores). fusermount3, one by one, for what is
  // left when umount is refused (not root).
  const points = await stale();
  if (points.length === 0) return;
  for (let i = 0; i < points.length; i += 256) {
    await run("umount", ["--lazy", "--", ...points.slice(i, i + 256)]).catch(() => undefined);
  }
  for (const point of await stale()) {
    await run("fusermount3", ["-u", "-z", point]).catch((err: unknown) => log.warn({ err, point }, "stale FUSE mount not removed"));
  }
}
