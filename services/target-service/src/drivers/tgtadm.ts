import { execFile } from "node:child_process";
import { Semaphore } from "@bmi/async";
import { FailedPreconditionError, UnavailableError } from "@bmi/errors";
import { timed } from "@bmi/metrics";
import { tgtdSeconds } from "../metrics";
import { TgtdChannel, TgtdError, toRequest } from "./tgtd-ipc";

/**
 * Runs tgtadm's requests against one tgtd (by control port) with an argument array: those of targets, LUNs,
 * accounts, connections and the portal listing straight on tgtd's control socket (tgtd-ipc.ts), the rare others (a
 * new portal) through the tgtadm program. Error messages name the mode and op, never the arguments: an account's arguments hold its CHAP
 * secret.
 */
export class Tgtadm {
  private readonly slots: Semaphore;
  private readonly channel: TgtdChannel;

  /**
   * `ipc` false runs every request through the tgtadm program: slower (a process per request), but it does not
   * depend on tgtd's wire layout, should a tgt other than 1.0.x be installed.
   */
  constructor(
    readonly controlPort: number, private readonly timeoutMs = 10_000, maxRunning = 4,
    private readonly ipc = true,
  ) {
    this.slots = new Semaphore(maxRunning);
    this.channel = new TgtdChannel(controlPort, timeoutMs);
  }

  /** Closes the control connection kept to tgtd, if any (tgtd keeps running). */
  close(): void {
    this.channel.close();
  }

  /**
   * At most `maxRunning` requests at a time: tgtd answers one at a time anyway, and hundreds of tgtadm processes
   * (a bulk of creates) would only make the machine thrash.
   */
  async run(args: string[], lld = true): Promise<string> {
    return this.slots.run(() => timed(tgtdSeconds, { mode: flag(args, "--mode"), op: flag(args, "--op") }, () => this.exec(args, lld)));
  }

  private async exec(args: string[], lld: boolean): Promise<string> {
    const req = lld && this.ipc ? toRequest(args) : undefined;
    if (!req) return this.spawn(args, lld);
    try {
      return await this.channel.request(req);
    } catch (err) {
      throw translateTgtdError(err, args, this.controlPort);
    }
  }

  private spawn(args: string[], lld: boolean): Promise<string> {
    const argv = ["-C", String(this.controlPort), ...(lld ? ["--lld", "iscsi"] : []), ...args];
    return new Promise((resolve, reject) => {
      // `show` prints about 1.2 KB per target: thousands of targets overflow execFile's 1 MB default buffer.
      execFile("tgtadm", argv, { timeout: this.timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        reject(translateTgtdError(err, args, this.controlPort, stderr));
      });
    });
  }
}

/**
 * tgtd's failures as domain errors, the tgtd translator: tgtd refusing a request is FAILED_PRECONDITION with tgtd's
 * reason; no socket, nobody behind it or no answer in time is UNAVAILABLE (tgtd is down or was killed: the
 * reconciler starts it again, and the caller may retry); no tgtadm program is FAILED_PRECONDITION. `stderr` is
 * tgtadm's when the request went through the program (undefined: straight on the control socket). The message names
 * the mode and op, never the arguments (an account's hold its CHAP secret).
 */
export function translateTgtdError(err: unknown, args: string[], controlPort: number, stderr?: string): Error {
  if (err instanceof TgtdError) return new FailedPreconditionError(`${describe(args)} failed: ${err.message}`);
  const e = err as NodeJS.ErrnoException & { killed?: boolean };
  if (stderr !== undefined && e.code === "ENOENT") return new FailedPreconditionError(`${describe(args)}: the tgtadm program is not installed`);
  const msg = (stderr || e.message || String(err)).trim().split("\n")[0] ?? "";
  if (stderr === undefined || e.killed === true || /not connected|can't connect|connection refused|no such file/i.test(msg)) {
    return new UnavailableError(`tgtd (control port ${controlPort}) is not answering: ${msg}`);
  }
  return new FailedPreconditionError(`${describe(args)} failed: ${msg}`);
}

function describe(args: string[]): string {
  return `tgtadm --mode ${flag(args, "--mode")} --op ${flag(args, "--op")}`;
}

function flag(args: string[], name: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? "") : "";
}
