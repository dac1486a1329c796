import { execFile } from "node:child_process";
import { FailedPreconditionError, UnavailableError } from "@bmi/errors";
import type { BootDevice, PowerAction, PowerState } from "../node-driver";
import type { PowerControl } from "../power-control";

export interface IpmiTarget { host: string; user: string; password: string }

/** The longest one ipmitool run may take (an unreachable BMC keeps ipmitool retrying for about 20 s). */
export const IPMI_TIMEOUT_MS = 15_000;

/**
 * A BMC through ipmitool (IPMI v2 lanplus). The password goes through the environment (-E), never the command
 * line, where any local user could read it.
 */
export class IpmiPower implements PowerControl {
  constructor(private readonly target: IpmiTarget, private readonly ipmitool = "ipmitool", private readonly timeoutMs = IPMI_TIMEOUT_MS) {}

  async power(action: PowerAction, force: boolean): Promise<void> {
    // "cycle" is off-then-on; "reset" is the hard reset a forced cycle asks for.
    const op = action === "cycle" ? (force ? "reset" : "cycle") : action;
    await this.run(["chassis", "power", op]);
  }

  async status(): Promise<PowerState> {
    const out = await this.run(["chassis", "power", "status"]);
    if (/\bis on\b/i.test(out)) return "on";
    if (/\bis off\b/i.test(out)) return "off";
    return "unknown";
  }

  async setBootDevice(device: BootDevice): Promise<void> {
    await this.run(["chassis", "bootdev", device, "options=persistent"]);
  }

  private run(args: string[]): Promise<string> {
    const argv = ["-I", "lanplus", "-H", this.target.host, "-U", this.target.user, "-E", ...args];
    return new Promise((resolve, reject) => {
      execFile(this.ipmitool, argv, { env: { IPMI_PASSWORD: this.target.password }, timeout: this.timeoutMs }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === "ENOENT") return reject(new FailedPreconditionError(`${this.ipmitool} is not installed: IPMI power is unavailable`));
        const why = e.killed ? `no answer within ${this.timeoutMs} ms` : stderr.trim().split("\n").pop() || e.message;
        reject(new UnavailableError(`ipmitool ${args.join(" ")} on ${this.target.host}: ${why}`));
      });
    });
  }
}
