import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { guarded } from "./die-with-test";
import { promisify } from "node:util";
import { freePort } from "./ports";

const run = promisify(execFile);

export interface TestTgtd {
  /** tgtd's management channel (`tgtadm -C`); its socket is /var/run/tgtd/socket.N. */
  controlPort: number;
  /** host:port of the iSCSI portal. */
  portal: string;
  pid: number;
  logFile: string;
  /** Runs `tgtadm -C <controlPort> --lld iscsi <args>` and answers stdout. */
  tgtadm(args: string[]): Promise<string>;
  /** Exports `file` as LUN 1 of a new target that only `initiator` may open, with CHAP `user`/`password`. */
  exportFile(t: { tid: number; iqn: string; file: string; initiator: string; user: string; password: string }): Promise<void>;
  stop(): Promise<void>;
}

/** A control port no tgtd on this machine uses (tgtd takes an int and makes a Unix socket of it). */
export function freeControlPort(): number {
  for (;;) {
    const n = 1000 + Math.floor(Math.random() * 31_000); // tgtadm accepts 0..32767
    if (!existsSync(`/var/run/tgtd/socket.${n}`)) return n;
  }
}

/** Where tgtd loads its backing-store modules from (compiled in); every file there is loaded. */
export const TGT_MODULES = "/usr/lib/tgt/backing-store";
/** The tgt-rbd package's own rbd module, kept here by deploy/tgt/build.sh when it installs the patched one. */
export const STOCK_TGT_MODULES = "/usr/lib/tgt/stock";

export interface TgtdStartOptions {
  dir: string;
  portal?: string;
  controlPort?: number;
  /** tgtd -t: I/O threads per LUN (with the patched rbd module: shared by all rbd LUNs). Default 2. */
  ioThreads?: number;
  /**
   * A directory of backing-store modules this tgtd loads instead of TGT_MODULES (STOCK_TGT_MODULES: the package's
   * rbd module, for before/after figures). It is bound over TGT_MODULES in a mount namespace of this tgtd's own.
   */
  modules?: string;
  /** A network namespace (`ip netns` name) tgtd runs in: a target host of its own address (its portal's). */
  netns?: string;
}

/**
 * Starts a private tgtd for a test: its own control port and portal, so tests run side by side and never touch
 * a tgtd they did not start. Call `stop()` in an after hook.
 */
export async function startTgtd(opts: TgtdStartOptions): Promise<TestTgtd> {
  const controlPort = opts.controlPort ?? freeControlPort();
  const portal = opts.portal ?? `127.0.0.1:${await freePort()}`;
  const logFile = path.join(opts.dir, `tgtd-${controlPort}.log`);
  const fd = openSync(logFile, "a");
  // Two I/O threads per LUN instead of 16 by default: tests share two cores with everybody else's.
  // nsenter enters the namespace and execs tgtd (same PID: stop() and the death signal still reach tgtd itself).
  const tgtd = [...(opts.netns ? ["nsenter", `--net=/run/netns/${opts.netns}`] : []),
    "tgtd", "-f", "-C", String(controlPort), "-t", String(opts.ioThreads ?? 2), "--iscsi", `portal=${portal}`];
  // A fixed script; the directory and tgtd's argv reach it as positional parameters, never as shell text.
  const withModules = (dir: string) =>
    ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", `mount --bind "$0" ${TGT_MODULES} && exec "$@"`, dir, ...tgtd];
  // guarded: tgtd gets SIGKILL if this test process dies before stop().
  const argv = opts.modules ? withModules(opts.modules) : tgtd;
  const child = spawn(...guarded(argv[0] ?? "tgtd", argv.slice(1)), {
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error("tgtd did not start");
  const tgtadm = async (args: string[]) => (await run("tgtadm", ["-C", String(controlPort), "--lld", "iscsi", ...args])).stdout;
  const handle: TestTgtd = {
    controlPort, portal, pid, logFile, tgtadm,
    exportFile: (t) => exportFile(tgtadm, t),
    stop: () => stopTgtd(controlPort, pid),
  };
  try {
    await waitTgtd(controlPort, 5000, () => child.exitCode === null);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/** Resolves once tgtd answers on `controlPort`. */
export async function waitTgtd(controlPort: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await run("tgtadm", ["-C", String(controlPort), "--lld", "iscsi", "--mode", "target", "--op", "show"]);
      return;
    } catch (err) {
      if (!alive() || Date.now() > until) throw new Error(`tgtd on control port ${controlPort} not answering: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }
}

/**
 * Stops the tgtd with this PID the way tgtd allows (it ignores SIGTERM): delete every target with force, then
 * `--mode system --op delete`; SIGKILL if it is still there after 3 s. Safe to call twice.
 */
export async function stopTgtd(controlPort: number, pid: number): Promise<void> {
  if (!(pid > 0)) throw new Error(`stopTgtd: no PID for the tgtd on control port ${controlPort}`);
  if (!isAlive(pid)) return cleanSocket(controlPort);
  // tgtadm can block on a tgtd that is busy tearing down sessions: bound every call, SIGKILL is the fallback.
  const adm = (args: string[]) =>
    run("tgtadm", ["-C", String(controlPort), "--lld", "iscsi", ...args], { timeout: 3000 }).catch(() => ({ stdout: "" }));
  const shown = (await adm(["--mode", "target", "--op", "show"])).stdout;
  for (const m of shown.matchAll(/^Target (\d+):/gm)) {
    await adm(["--mode", "target", "--op", "delete", "--force", "--tid", m[1] ?? "0"]);
  }
  await adm(["--mode", "system", "--op", "delete"]);
  const until = Date.now() + 3000;
  while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  cleanSocket(controlPort);
}

/**
 * PID of the tgtd serving `controlPort` that was started as `tgtd -f -C <port>` (as target-service does), for
 * tests that started target-service and must stop the tgtd it started.
 */
export function findTgtd(controlPort: number): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const c = argv.indexOf("-C");
    if (path.basename(argv[0] ?? "") === "tgtd" && c > 0 && argv[c + 1] === String(controlPort) && isAlive(Number(entry))) {
      return Number(entry);
    }
  }
  return undefined;
}

async function exportFile(
  tgtadm: (args: string[]) => Promise<string>,
  t: { tid: number; iqn: string; file: string; initiator: string; user: string; password: string },
): Promise<void> {
  const tid = String(t.tid);
  await tgtadm(["--mode", "target", "--op", "new", "--tid", tid, "--targetname", t.iqn]);
  await tgtadm(["--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", "1", "--backing-store", t.file]);
  await tgtadm(["--mode", "target", "--op", "bind", "--tid", tid, "--initiator-name", t.initiator]);
  await tgtadm(["--mode", "account", "--op", "new", "--user", t.user, "--password", t.password]);
  await tgtadm(["--mode", "account", "--op", "bind", "--tid", tid, "--user", t.user]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its parent) still answers signal 0.
    return !/^\S+ \(.*\) Z/.test(readStat(pid));
  } catch {
    return false;
  }
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "";
  }
}

function cleanSocket(controlPort: number): void {
  for (const f of [`socket.${controlPort}`, `socket.${controlPort}.lock`]) rmSync(path.join("/var/run/tgtd", f), { force: true });
}
