import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "@bmi/log";
import { run } from "./exec";
import { Qmp, QmpError } from "./qmp";

/**
 * The one qemu-storage-daemon that serves every local disk: each disk is a qcow2 node plus a FUSE export that
 * shows it as a raw file, added and removed at run time over QMP. The daemon runs detached from image-service,
 * so a restart (or a crash) of the service does not pull the disks from under tgtd; the next start adopts it
 * through its PID file and QMP socket.
 */
export class StorageDaemon {
  private constructor(private readonly dir: string, private readonly qmp: Qmp, readonly pid: number, private readonly log: Logger) {}

  /** Adopts the daemon recorded under `dir` if it still runs, else starts one (after clearing dead FUSE mounts). */
  static async open(dir: string, mountsUnder: string, log: Logger): Promise<StorageDaemon> {
    await mkdir(dir, { recursive: true });
    const socket = path.join(dir, "qmp.sock");
    const pidFile = path.join(dir, "qsd.pid");
    let pid = await livePid(pidFile, socket);
    if (pid === undefined) {
      await unmountStale(mountsUnder, log);
      await rm(socket, { force: true });
      await run("qemu-storage-daemon", [
        "--chardev", `socket,id=qmp0,path=${socket},server=on,wait=off`, "--monitor", "chardev=qmp0",
        "--daemonize", "--pidfile", pidFile,
      ]);
      pid = Number((await readFile(pidFile, "utf8")).trim());
      log.info({ daemonPid: pid }, "qemu-storage-daemon started");
    } else {
      log.info({ daemonPid: pid }, "qemu-storage-daemon adopted");
    }
    return new StorageDaemon(dir, await Qmp.connect(socket), pid, log);
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
