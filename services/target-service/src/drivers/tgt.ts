import { open } from "node:fs/promises";
import { isIP } from "node:net";
import { sleep } from "@bmi/async";
import { FailedPreconditionError, UnavailableError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { aclOf, ExportGoneError, lunOf, type LiveTarget, type TargetBackend, type TargetSpec } from "../target";
import { parseAccounts, parseConnections, parseSessions, parseTargets } from "./tgt-show";
import { HeldTargets } from "./tgt-held";
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
/** How often, and how far apart, a delete refused for a LUN with a command in flight is asked again (about 5 s). */
const LUN_BUSY_ATTEMPTS = 50;
const LUN_BUSY_WAIT_MS = 100;
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
  /**
   * What tgtd holds per tid, as far as this process knows: what it made (apply, rekey, rebind) and what tgtd's last
   * full listing showed. `find` trusts it for the LUN, ACL and accounts and asks tgtd only whether the tid is still
   * there: a full listing per repeated CreateTarget costs tgtd O(n) (1.1 MB of text at 1,000 targets), a bulk of
   * them O(n^2). Drift made behind this process's back (a hand-run tgtadm) is the reconciler's to find: its listing
   * compares every target with its spec, and its repairs come through here.
   */
  private readonly held = new HeldTargets();
  /** Changes to tgtd under way, and a count of their starts and ends: a listing that overlapped one is not kept. */
  private busy = 0;
  private changes = 0;

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
    this.adm.close();
  }

  ensureRunning(): Promise<void> {
    return this.daemon.ensure();
  }

  async list(): Promise<LiveTarget[]> {
    const quiet = this.busy === 0;
    const before = this.changes;
    const all = parseTargets(await this.adm.run(["--mode", "target", "--op", "show"]));
    if (quiet && this.changes === before) {
      this.held.clear();
      for (const t of all) this.held.set(t.tid, { ...t, sessions: 0 });
    }
    return all;
  }

  async find(tid: number): Promise<LiveTarget | undefined> {
    const known = this.held.get(tid);
    if (!known) return (await this.list()).find((t) => t.tid === tid);
    const conns = await missingAs(this.adm.run(["--mode", "conn", "--op", "show", "--tid", String(tid)]), /can't find the target/, undefined);
    if (conns !== undefined) return { ...known, sessions: parseSessions(conns) };
    if (this.held.get(tid) === known) this.held.delete(tid);
    return undefined;
  }

  apply(spec: TargetSpec, hint?: { accountExists: boolean; reverseExists?: boolean }): Promise<void> {
    return this.changing(async () => {
      this.held.delete(spec.tid);
      await this.make(spec, hint);
      this.held.set(spec.tid, {
        tid: spec.tid, iqn: spec.iqn, lun1: lunOf(spec), initiators: [aclOf(spec)], accounts: [spec.chapUser],
        ...(spec.reverse ? { outgoing: [spec.reverse.user] } : {}), sessions: 0,
      });
    });
  }

  private async make(spec: TargetSpec, hint?: { accountExists: boolean; reverseExists?: boolean }): Promise<void> {
    const b = spec.backing;
    // image-service named this file as the disk's export a moment ago: if it is gone, the export is being set up
    // again (image-service or its storage daemon restarting), so the caller may retry. tgtd opening the file is the
    // check: no stat of our own first (a synchronous system call on the event loop per create), and tgtd's refusal
    // below is read as "gone" when the file's first byte cannot be read.
    const tid = String(spec.tid);
    const lun = b.kind === "file"
      ? ["--backing-store", b.path]
      : ["--bstype", "rbd", "--backing-store", `${b.pool}/${b.image}`, "--bsopts", `conf=${b.cephConf};id=${b.user}`];
    await this.adm.run(["--mode", "target", "--op", "new", "--tid", tid, "--targetname", spec.iqn]);
    try {
      await this.adm.run(["--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", "1", ...lun]).catch(async (err: unknown) => {
        // tgtd says only "invalid request" when it cannot open the file: a missing export, or one that went away
        // meanwhile. A FUSE export whose storage daemon was just killed still passes a stat for a second (the kernel
        // answers from cached attributes) but cannot be opened: reading its first byte tells.
        throw b.kind === "file" && err instanceof FailedPreconditionError && !(await readable(b.path)) ? exportGone(b.path) : err;
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
  remove(tid: number): Promise<number> {
    return this.changing(async () => {
      this.held.delete(tid);
      return this.removeTarget(tid);
    });
  }

  private async removeTarget(tid: number): Promise<number> {
    const id = String(tid);
    const conns = await missingAs(this.adm.run(["--mode", "conn", "--op", "show", "--tid", id]), /can't find the target/, undefined);
    if (conns === undefined) return 0;
    // tgtd refuses to delete a LUN with a SCSI command in flight ("this logical unit is still active"), --force or
    // not: a node still running and writing when its target goes. The target is set offline (tgtd then refuses
    // logins to it: an initiator whose connection is closed logs in again at once) and its connections closed, so
    // no new command comes, and the delete is asked again until the last command is done; a LUN still busy after
    // that is UNAVAILABLE, for the caller to retry, not a failed job.
    for (let attempt = 0; ; attempt++) {
      try {
        await missingAs(this.adm.run(["--mode", "target", "--op", "delete", "--force", "--tid", id]), /can't find the target/, "");
        return parseSessions(conns);
      } catch (err) {
        if (!(err instanceof FailedPreconditionError && /logical unit is still active/.test(err.message))) throw err;
        if (attempt >= LUN_BUSY_ATTEMPTS) throw new UnavailableError(`target ${id} still has SCSI commands in flight after ${attempt} tries; retry`);
        if (attempt === 0) await this.closeConnections(id, conns);
        await sleep(LUN_BUSY_WAIT_MS);
      }
    }
  }

  /**
   * Sets target `tid` offline (no new login) and closes every connection `conns` (its `conn show`, read just before)
   * lists, so its initiator sends no more commands.
   */
  private async closeConnections(tid: string, conns: string): Promise<void> {
    await this.adm.run(["--mode", "target", "--op", "update", "--tid", tid, "--name", "state", "--value", "offline"]).catch(() => undefined);
    for (const { sid, cid } of parseConnections(conns)) {
      await this.adm.run(["--mode", "conn", "--op", "delete", "--tid", tid, "--sid", sid, "--cid", cid]).catch(() => undefined);
    }
  }

  rekey(spec: TargetSpec, previous: TargetSpec): Promise<void> {
    return this.changing(async () => {
      // Until it is done, what tgtd holds is not known: an account deleted and not yet made again is bound to nothing.
      const known = this.held.get(spec.tid);
      this.held.delete(spec.tid);
      await this.bindAccount(spec.tid, spec.chapUser, spec.chapSecret, true, false);
      if (spec.reverse) await this.bindAccount(spec.tid, spec.reverse.user, spec.reverse.secret, previous.reverse !== undefined, true);
      else if (previous.reverse) await this.dropAccount(previous.reverse.user);
      if (known) {
        const { outgoing: _, ...rest } = known;
        this.held.set(spec.tid, { ...rest, accounts: [spec.chapUser], ...(spec.reverse ? { outgoing: [spec.reverse.user] } : {}) });
      }
    });
  }

  rebind(spec: TargetSpec, previous: string): Promise<void> {
    return this.changing(async () => {
      const tid = String(spec.tid);
      const acl = aclOf(spec);
      const known = this.held.get(spec.tid);
      this.held.delete(spec.tid);
      // Add first: the node that just fetched its script logs in at once, and must never find an ACL without it.
      await missingAs(this.adm.run(["--mode", "target", "--op", "bind", "--tid", tid, ...aclArgs(acl)]), /rule already exists/, "");
      if (previous !== acl) {
        await missingAs(this.adm.run(["--mode", "target", "--op", "unbind", "--tid", tid, ...aclArgs(previous)]), /rule does not exist/, "");
      }
      if (known) this.held.set(spec.tid, { ...known, initiators: [acl] });
    });
  }

  mark(iqn: string, previous?: number): Promise<void> {
    return this.changing(async () => {
      if (previous !== undefined) {
        this.held.delete(previous);
        await this.removeTarget(previous);
      }
      await this.adm.run(["--mode", "target", "--op", "new", "--tid", String(MARKER_TID), "--targetname", iqn]);
      this.held.set(MARKER_TID, { tid: MARKER_TID, iqn, initiators: [], accounts: [], sessions: 0 });
    });
  }

  async accounts(): Promise<string[]> {
    return parseAccounts(await this.adm.run(["--mode", "account", "--op", "show"]));
  }

  deleteAccount(user: string): Promise<void> {
    return this.changing(() => this.dropAccount(user));
  }

  /** tgtd unbinds a deleted account from every target that had it. */
  private async dropAccount(user: string): Promise<void> {
    await missingAs(this.adm.run(["--mode", "account", "--op", "delete", "--user", user]), /can't find the account/, "");
    this.held.dropUser(user);
  }

  /** Runs a change to tgtd, counted, so that a listing taken meanwhile does not overwrite what it records. */
  private async changing<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    this.changes++;
    try {
      return await fn();
    } finally {
      this.busy--;
      this.changes++;
    }
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
      await this.dropAccount(user);
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

/** Whether the file's first byte can be read now (open goes to a FUSE export's daemon, whatever the kernel cached). */
async function readable(file: string): Promise<boolean> {
  const h = await open(file, "r").catch(() => undefined);
  if (!h) return false;
  try {
    await h.read(Buffer.alloc(1), 0, 1, 0);
    return true;
  } catch {
    return false;
  } finally {
    await h.close().catch(() => undefined);
  }
}

function exportGone(path: string): ExportGoneError {
  return new ExportGoneError(`the disk's export ${path} is not there (image-service setting its exports up again?); retry`);
}
