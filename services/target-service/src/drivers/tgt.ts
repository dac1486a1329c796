import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { FailedPreconditionError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { aclOf, ExportGoneError, type LiveTarget, type TargetBackend, type TargetSpec } from "../target";
import { parseAccounts, parseSessions, parseTargets } from "./tgt-show";
import { Tgtadm } from "./tgtadm";
import { TgtdDaemon } from "./tgtd-daemon";

export interface TgtOptions {
  /** tgtd's management channel (tgtadm -C); this service's own, so no other tgtd is ever touched. */
  controlPort: number;
  portals: string[];
  logFile?: string;
  ioThreads?: number;
  log: Logger;
  /** Speak tgtd's control protocol directly (default) rather than starting tgtadm per request. */
  ipc?: boolean;
  /** Called when the tgtd this process started exits. */
  onDaemonExit?: () => void;
}

// The store marker's tid: the largest tgtd takes, which no store's counter reaches.
const MARKER_TID = 2_147_483_647;
/**
 * SBC caching mode page (8) with WCE clear, as tgt-admin's `write-cache off` sets it: tgt then flushes every write
 * (rbd_flush for the rbd backing store) before it answers the initiator.
 */
export const WRITE_CACHE_OFF = "mode_page=8:0:18:0x10:0:0xff:0xff:0:0:0xff:0xff:0xff:0xff:0x80:0x14:0:0:0:0:0:0";

/**
 * The tgt (Linux SCSI target framework, userspace) back end: one target per disk with the disk as LUN 1 (LUN 0
 * is tgt's controller), an ACL of one entry (the initiator name, or the node's address once bound) and a CHAP
 * account of its own (two with mutual CHAP).
 */
export class TgtDriver implements TargetBackend {
  readonly adm: Tgtadm;
  readonly daemon: TgtdDaemon;

  constructor(opts: TgtOptions) {
    this.adm = new Tgtadm(opts.controlPort, undefined, undefined, opts.ipc ?? true);
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

  async apply(spec: TargetSpec, hint?: { accountExists: boolean; reverseExists?: boolean }): Promise<void> {
    const b = spec.backing;
    // image-service named this file as the disk's export a moment ago: if it is gone, the export is being set up
    // again (image-service or its storage daemon restarting), so the caller may retry.
    if (b.kind === "file" && !existsSync(b.path)) throw exportGone(b.path);
    const tid = String(spec.tid);
    const lun = b.kind === "file"
      ? ["--backing-store", b.path]
      : ["--bstype", "rbd", "--backing-store", `${b.pool}/${b.image}`, "--bsopts", `conf=${b.cephConf};id=${b.user}`];
    await this.adm.run(["--mode", "target", "--op", "new", "--tid", tid, "--targetname", spec.iqn]);
    try {
      await this.adm.run(["--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", "1", ...lun]).catch((err: unknown) => {
        // tgtd says only "invalid request" when it cannot open the file: an export that went away meanwhile.
        throw b.kind === "file" && err instanceof FailedPreconditionError && !existsSync(b.path) ? exportGone(b.path) : err;
      });
      // Two tgtds export this image (multipath across hosts): no write acknowledged from a cache one of them holds.
      if (b.kind === "rbd" && (spec.hosts?.length ?? 0) > 1) {
        await this.adm.run(["--mode", "logicalunit", "--op", "update", "--tid", tid, "--lun", "1", "--params", WRITE_CACHE_OFF]);
      }
      await this.adm.run(["--mode", "target", "--op", "bind", "--tid", tid, ...aclArgs(aclOf(spec))]);
      await this.bindAccount(spec.tid, spec.chapUser, spec.chapSecret, hint?.accountExists === true, false);
      if (spec.reverse) await this.bindAccount(spec.tid, spec.reverse.user, spec.reverse.secret, hint?.reverseExists === true, true);
    } catch (err) {
      // Never leave a half-made target: without its ACL or CHAP it would be open to anyone.
      await this.adm.run(["--mode", "target", "--op", "delete", "--force", "--tid", tid]).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Asks tgtd about this one target only (its connections), not a full `show`: that prints every target, which
   * makes deleting n targets cost n^2. The tid is the store's own, in this service's own tgtd.
   */
  async remove(tid: number): Promise<number> {
    const id = String(tid);
    const conns = await missingAs(this.adm.run(["--mode", "conn", "--op", "show", "--tid", id]), /can't find the target/, undefined);
    if (conns === undefined) return 0;
    await missingAs(this.adm.run(["--mode", "target", "--op", "delete", "--force", "--tid", id]), /can't find the target/, "");
    return parseSessions(conns);
  }

  async rekey(spec: TargetSpec, previous: TargetSpec): Promise<void> {
    await this.bindAccount(spec.tid, spec.chapUser, spec.chapSecret, true, false);
    if (spec.reverse) await this.bindAccount(spec.tid, spec.reverse.user, spec.reverse.secret, previous.reverse !== undefined, true);
    else if (previous.reverse) await this.deleteAccount(previous.reverse.user);
  }

  async rebind(spec: TargetSpec, previous: string): Promise<void> {
    const tid = String(spec.tid);
    const acl = aclOf(spec);
    // Add first: the node that just fetched its script logs in at once, and must never find an ACL without it.
    await missingAs(this.adm.run(["--mode", "target", "--op", "bind", "--tid", tid, ...aclArgs(acl)]), /rule already exists/, "");
    if (previous === acl) return;
    await missingAs(this.adm.run(["--mode", "target", "--op", "unbind", "--tid", tid, ...aclArgs(previous)]), /rule does not exist/, "");
  }

  async mark(iqn: string, previous?: number): Promise<void> {
    if (previous !== undefined) await this.remove(previous);
    await this.adm.run(["--mode", "target", "--op", "new", "--tid", String(MARKER_TID), "--targetname", iqn]);
  }

  async accounts(): Promise<string[]> {
    return parseAccounts(await this.adm.run(["--mode", "account", "--op", "show"]));
  }

  async deleteAccount(user: string): Promise<void> {
    await missingAs(this.adm.run(["--mode", "account", "--op", "delete", "--user", user]), /can't find the account/, "");
  }

  /**
   * Gives the target an account holding `secret`: the initiator's, or with `outgoing` the target's own (mutual
   * CHAP). An account left from an earlier life of this target may carry an old secret: it is replaced. Creating
   * first and replacing only when tgtd says it exists costs one tgtadm less per target than deleting blindly first;
   * `known` (it exists) skips the try.
   */
  private async bindAccount(tid: number, user: string, secret: string, known: boolean, outgoing: boolean): Promise<void> {
    const create = ["--mode", "account", "--op", "new", "--user", user, "--password", secret];
    const made = !known && (await missingAs(this.adm.run(create), /already exists/, undefined)) !== undefined;
    if (!made) {
      await this.deleteAccount(user);
      await this.adm.run(create);
    }
    await this.adm.run(["--mode", "account", "--op", "bind", "--tid", String(tid), "--user", user, ...(outgoing ? ["--outgoing"] : [])]);
  }
}

/** tgtadm's ACL option for an entry: an address (the node's, once bound) or an initiator name. */
function aclArgs(entry: string): string[] {
  return isIP(entry) !== 0 ? ["--initiator-address", entry] : ["--initiator-name", entry];
}

/** Answers `fallback` instead of failing when tgtd's error matches `missing` (nothing there to act on). */
async function missingAs<T>(call: Promise<string>, missing: RegExp, fallback: T): Promise<string | T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof FailedPreconditionError && missing.test(err.message)) return fallback;
    throw err;
  }
}

function exportGone(path: string): ExportGoneError {
  return new ExportGoneError(`the disk's export ${path} is not there (image-service setting its exports up again?); retry`);
}
