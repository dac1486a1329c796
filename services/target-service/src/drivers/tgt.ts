import { existsSync } from "node:fs";
import { FailedPreconditionError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import type { LiveTarget, TargetBackend, TargetSpec } from "../target";
import { parseAccounts, parseTargets } from "./tgt-show";
import { Tgtadm } from "./tgtadm";
import { TgtdDaemon } from "./tgtd-daemon";

export interface TgtOptions {
  /** tgtd's management channel (tgtadm -C); this service's own, so no other tgtd is ever touched. */
  controlPort: number;
  portals: string[];
  logFile?: string;
  ioThreads?: number;
  log: Logger;
  /** Called when the tgtd this process started exits. */
  onDaemonExit?: () => void;
}

/**
 * The tgt (Linux SCSI target framework, userspace) back end: one target per disk with the disk as LUN 1 (LUN 0
 * is tgt's controller), an initiator-name ACL and a CHAP account of its own.
 */
export class TgtDriver implements TargetBackend {
  readonly adm: Tgtadm;
  readonly daemon: TgtdDaemon;

  constructor(opts: TgtOptions) {
    this.adm = new Tgtadm(opts.controlPort);
    this.daemon = new TgtdDaemon(this.adm, {
      portals: opts.portals, logFile: opts.logFile ?? "", ioThreads: opts.ioThreads ?? 0, log: opts.log,
      onExit: opts.onDaemonExit ?? (() => undefined),
    });
  }

  /** Leaves tgtd running (nodes keep their disks) but stops reacting to its exit. */
  close(): void {
    this.daemon.close();
  }

  ensureRunning(): Promise<void> {
    return this.daemon.ensure();
  }

  async list(): Promise<LiveTarget[]> {
    return parseTargets(await this.adm.run(["--mode", "target", "--op", "show"]));
  }

  async apply(spec: TargetSpec, hint?: { accountExists: boolean }): Promise<void> {
    const b = spec.backing;
    if (b.kind === "file" && !existsSync(b.path)) throw new FailedPreconditionError(`backing ${b.path} does not exist`);
    const tid = String(spec.tid);
    const lun = b.kind === "file"
      ? ["--backing-store", b.path]
      : ["--bstype", "rbd", "--backing-store", `${b.pool}/${b.image}`, "--bsopts", `conf=${b.cephConf};id=${b.user}`];
    await this.adm.run(["--mode", "target", "--op", "new", "--tid", tid, "--targetname", spec.iqn]);
    try {
      await this.adm.run(["--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", "1", ...lun]);
      await this.adm.run(["--mode", "target", "--op", "bind", "--tid", tid, "--initiator-name", spec.initiatorIqn]);
      // An account left from an earlier life of this target may carry an old secret. Deleting blindly (and
      // ignoring "no such account") saves listing every account for every target re-applied after a restart.
      if (hint?.accountExists !== false) {
        await this.adm.run(["--mode", "account", "--op", "delete", "--user", spec.chapUser]).catch(() => undefined);
      }
      await this.adm.run(["--mode", "account", "--op", "new", "--user", spec.chapUser, "--password", spec.chapSecret]);
      await this.adm.run(["--mode", "account", "--op", "bind", "--tid", tid, "--user", spec.chapUser]);
    } catch (err) {
      // Never leave a half-made target: without its ACL or CHAP it would be open to anyone.
      await this.adm.run(["--mode", "target", "--op", "delete", "--force", "--tid", tid]).catch(() => undefined);
      throw err;
    }
  }

  async remove(tid: number): Promise<number> {
    const live = (await this.list()).find((t) => t.tid === tid);
    if (!live) return 0;
    await this.adm.run(["--mode", "target", "--op", "delete", "--force", "--tid", String(tid)]);
    return live.sessions;
  }

  async accounts(): Promise<string[]> {
    return parseAccounts(await this.adm.run(["--mode", "account", "--op", "show"]));
  }

  async deleteAccount(user: string): Promise<void> {
    if ((await this.accounts()).includes(user)) await this.adm.run(["--mode", "account", "--op", "delete", "--user", user]);
  }
}
