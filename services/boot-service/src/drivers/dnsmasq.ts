import { readFile, rename, writeFile } from "node:fs/promises";
import type { Logger } from "@bmi/log";

/**
 * Keeps a dnsmasq in step with the boot configs: rewrites its dhcp-hostsfile (atomically, so dnsmasq never
 * reads half a file) and sends it SIGHUP, on which dnsmasq re-reads hosts files without dropping leases.
 * dnsmasq itself is started by the site (or a test) with dhcp-hostsfile= and pid-file= pointing here.
 */
export class DnsmasqHostsSync {
  /** What was written last; undefined until the first write, which always happens (creating the file). */
  private last: string | undefined;

  constructor(private readonly hostsFile: string, private readonly pidFile: string, private readonly log: Logger) {}

  async write(content: string): Promise<void> {
    if (content === this.last) return;
    const tmp = `${this.hostsFile}.tmp-${process.pid}`;
    await writeFile(tmp, content);
    await rename(tmp, this.hostsFile);
    this.last = content;
    const pid = await this.pid();
    if (pid === undefined) {
      this.log.warn({ pidFile: this.pidFile }, "dnsmasq hosts file written, but no dnsmasq PID to signal");
      return;
    }
    process.kill(pid, "SIGHUP");
    this.log.info({ hostsFile: this.hostsFile, pid, lines: content.split("\n").filter(Boolean).length }, "dnsmasq hosts updated");
  }

  private async pid(): Promise<number | undefined> {
    if (!this.pidFile) return undefined;
    const raw = await readFile(this.pidFile, "utf8").catch(() => "");
    const pid = Number.parseInt(raw.trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  }
}
