import { readFile, rename, writeFile } from "node:fs/promises";
import type { Logger } from "@bmi/log";
import { StoreIdentity, type Redis } from "@bmi/redis";
import { counter, histogram } from "@bmi/metrics";

/** dnsmasq re-reads its hosts file on SIGHUP without answering: the write and the signal are what can be measured. */
const dnsmasqWriteSeconds = histogram("bmi_dnsmasq_hosts_write_seconds", "writes of dnsmasq's hosts file (before its SIGHUP)", []);
const dnsmasqReloads = counter("bmi_dnsmasq_reloads_total", "SIGHUPs sent to dnsmasq to re-read its hosts file", []);

/** The identity of the boot-config store under `prefix`, which the hosts file's `.store-id` repeats. */
export function bootStoreIdentity(redis: Redis, prefix: string): StoreIdentity {
  return new StoreIdentity(redis, `${prefix}boot:store-id`);
}

/**
 * Keeps a dnsmasq in step with the boot configs: rewrites its dhcp-hostsfile (atomically, so dnsmasq never
 * reads half a file) and sends it SIGHUP, on which dnsmasq re-reads hosts files without dropping leases.
 * dnsmasq itself is started by the site (or a test) with dhcp-hostsfile= and pid-file= pointing here.
 *
 * Beside the file, `<file>.store-id` names the boot-config store it was written from. A store that is empty or
 * another (Redis flushed or lost, another BMI_REDIS_PREFIX) never takes MACs out of the file: its lines are kept,
 * new ones are added, and one log line says so, until `accept()` (boot-service's admin.js accept-store).
 */
export class DnsmasqHostsSync {
  /** What was written last, and from which store; undefined until the first write, which always happens. */
  private last: { content: string; storeId: string | undefined } | undefined;
  /** The refusal logged last: logged once, not on every change. */
  private refusal: string | undefined;

  constructor(private readonly hostsFile: string, private readonly pidFile: string, private readonly log: Logger,
    private readonly identity: StoreIdentity) {}

  async write(content: string): Promise<void> {
    const [storeId, fileStore, current] = await Promise.all([this.identity.get(), this.read(this.idFile), this.read(this.hostsFile)]);
    const wanted = lines(content);
    const dropped = lines(current).filter((l) => !wanted.includes(l));
    if ((storeId === undefined || storeId !== fileStore) && dropped.length > 0) {
      this.refuse(storeId, fileStore, dropped.length);
      return this.replace([...wanted, ...dropped].map((l) => `${l}\n`).join(""), fileStore);
    }
    if (this.refusal !== undefined) this.log.info({ hostsFile: this.hostsFile }, "dnsmasq hosts: boot store recognised again");
    this.refusal = undefined;
    return this.replace(content, storeId !== undefined && storeId === fileStore ? storeId : await this.identity.claim());
  }

  /** Makes the file follow the store as it is now (the operator's word): `content` replaces it, MACs it lacks go. */
  async accept(content: string): Promise<void> {
    this.last = undefined;
    await this.replace(content, await this.identity.claim());
  }

  private get idFile(): string {
    return `${this.hostsFile}.store-id`;
  }

  private async replace(content: string, storeId: string | undefined): Promise<void> {
    if (content === this.last?.content && storeId === this.last.storeId) return;
    const timer = dnsmasqWriteSeconds.startTimer();
    await atomicWrite(this.hostsFile, content);
    if (storeId !== undefined) await atomicWrite(this.idFile, `${storeId}\n`);
    this.last = { content, storeId };
    timer();
    const pid = await this.pid();
    if (pid === undefined) {
      this.log.warn({ pidFile: this.pidFile }, "dnsmasq hosts file written, but no dnsmasq PID to signal");
      return;
    }
    process.kill(pid, "SIGHUP");
    dnsmasqReloads.inc();
    this.log.info({ hostsFile: this.hostsFile, pid, lines: lines(content).length }, "dnsmasq hosts updated");
  }

  private refuse(storeId: string | undefined, fileStore: string | undefined, kept: number): void {
    const message = `dnsmasq hosts file ${this.hostsFile} was written from boot store ${fileStore ?? "(unknown)"}, but Redis ` +
      `${storeId ? `holds boot store ${storeId}` : "has no boot store-id (flushed or lost, or BMI_REDIS_PREFIX changed)"}: ` +
      `its ${kept} MACs the store lacks are kept and new ones added. If the Redis settings are wrong, fix them and restart; ` +
      "to drop them, run `node services/boot-service/dist/admin.js accept-store`";
    if (message === this.refusal) return;
    this.refusal = message;
    this.log.error({ hostsFile: this.hostsFile, storeId: storeId ?? "none", fileStoreId: fileStore ?? "none", kept }, message);
  }

  private async read(file: string): Promise<string | undefined> {
    const raw = await readFile(file, "utf8").catch(() => undefined);
    return raw?.trim();
  }

  private async pid(): Promise<number | undefined> {
    if (!this.pidFile) return undefined;
    const raw = await readFile(this.pidFile, "utf8").catch(() => "");
    const pid = Number.parseInt(raw.trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  }
}

function lines(text: string | undefined): string[] {
  return (text ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
