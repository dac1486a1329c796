import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { FailedPreconditionError, UnavailableError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { parsePortals } from "./tgt-show";
import type { Tgtadm } from "./tgtadm";

export interface TgtdOptions {
  /** host:port tgtd listens on; the first is given at start, the others are added with tgtadm. */
  portals: string[];
  /** tgtd's stdout/stderr; "" discards them. */
  logFile: string;
  /**
   * tgtd -t; 0 keeps tgtd's default of 16. Threads per file-backed LUN; with the rbd module deploy/tgt/build.sh
   * installs, the threads all rbd LUNs of this tgtd share (the package's module starts them per LUN).
   */
  ioThreads: number;
  log: Logger;
  /** Called when a tgtd this process started exits: its targets are gone and must be re-applied. */
  onExit: () => void;
}

/**
 * Keeps a tgtd running on this service's own control port. A tgtd that already answers there is used as is;
 * otherwise one is started, detached, so that it outlives a restart of the service and the nodes booted from
 * its targets keep their disks. tgtd keeps nothing across its own restart: the reconciler re-applies targets.
 */
export class TgtdDaemon {
  /** PID of the tgtd this process started, if it did. */
  pid: number | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly adm: Tgtadm, private readonly opts: TgtdOptions) {}

  /** Starts tgtd when it does not answer, then adds any configured portal it lacks. */
  async ensure(): Promise<void> {
    let portals: string[];
    try {
      portals = parsePortals(await this.adm.run(["--mode", "portal", "--op", "show"]));
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      this.starting ??= this.start().finally(() => { this.starting = undefined; });
      await this.starting;
      portals = parsePortals(await this.adm.run(["--mode", "portal", "--op", "show"]));
    }
    for (const p of this.opts.portals) {
      if (!portals.includes(p)) await this.adm.run(["--mode", "portal", "--op", "new", "--param", `portal=${p}`]);
    }
  }

  /** Stops watching tgtd (which keeps running): an exit after this is somebody else's business. */
  close(): void {
    this.closed = true;
  }

  private async start(): Promise<void> {
    const { log } = this.opts;
    const out = this.opts.logFile ? openSync(this.opts.logFile, "a") : "ignore";
    const args = ["-f", "-C", String(this.adm.controlPort), "--iscsi", `portal=${this.opts.portals[0]}`];
    if (this.opts.ioThreads > 0) args.push("-t", String(this.opts.ioThreads));
    const child = spawn("tgtd", args, { detached: true, stdio: ["ignore", out, out] });
    if (typeof out === "number") closeSync(out);
    child.unref();
    const pid = child.pid;
    let exited = false;
    let spawnError: Error | undefined;
    child.once("error", (err) => {
      spawnError = err;
      log.error({ err: err.message }, "tgtd could not be started");
    });
    child.once("exit", (code, signal) => {
      exited = true;
      if (this.pid === pid) this.pid = undefined;
      if (this.closed) return;
      log.warn({ pid, code, signal }, "tgtd exited: its targets are gone, re-applying");
      this.opts.onExit();
    });
    this.pid = pid;
    const until = Date.now() + 5000;
    for (;;) {
      try {
        await this.adm.run(["--mode", "target", "--op", "show"]);
        log.info({ pid, controlPort: this.adm.controlPort, portals: this.opts.portals, rbdCephClients: rbdModuleKind() }, "tgtd started");
        return;
      } catch (err) {
        // No tgtd program: no retry can help until tgt is installed.
        if (spawnError) throw new FailedPreconditionError(`tgtd could not be started (${spawnError.message}): is tgt installed?`, { cause: spawnError });
        if (exited || Date.now() > until) {
          throw new UnavailableError(`tgtd on control port ${this.adm.controlPort} did not start (is the portal taken?)`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 30));
      }
    }
  }
}

/** The package's rbd module is moved here by deploy/tgt/build.sh when it installs the patched one. */
const STOCK_RBD_MODULE = "/usr/lib/tgt/stock/bs_rbd.so";

/** Which rbd backing store tgtd loads: the patched one (a Ceph client per tgtd) or the package's (one per LUN). */
function rbdModuleKind(): string {
  return existsSync(STOCK_RBD_MODULE) ? "one per tgtd" : "one per LUN (tgt-rbd as packaged: deploy/install-deps.sh installs the shared-client build)";
}
