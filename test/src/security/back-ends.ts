import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Stack } from "../support/stack";

/**
 * Keys that change on their own while nothing is asked of the stack (instance heartbeats, the event relay), and the
 * orchestrator's record of boot events it consumes from NATS: the tests share one NATS, so another test's VM booting
 * (node lxl-n1 of the Linux tests, say) reaches this stack's orchestrator too, whatever the calls under test do.
 */
const VOLATILE = /:(orch:(instances?|relay|outbox|beat|hb|lease|bootdedupe|nodeboot)|boot:outbox)/;

/**
 * What the back ends hold, read from them and not from BMI's answers: every Redis key of the stack (its serialized
 * value), tgtd's own target listing and the image store's files. Two equal states mean a series of calls changed
 * nothing.
 */
export async function backEndState(s: Stack): Promise<Record<string, unknown>> {
  const redis: Record<string, string> = {};
  let cursor = "0";
  do {
    const [next, keys] = await s.redis.scan(cursor, "MATCH", `${s.prefix}*`, "COUNT", 1000);
    cursor = next;
    for (const k of keys.filter((k) => !VOLATILE.test(k))) {
      const dump = await s.redis.dumpBuffer(k);
      redis[k] = dump ? createHash("sha256").update(dump).digest("hex").slice(0, 16) : "";
    }
  } while (cursor !== "0");
  const tgtd = await s.tgtd.tgtadm(["--mode", "target", "--op", "show"]);
  const files = await tree(path.join(s.dir, "images"));
  return { redis: Object.fromEntries(Object.entries(redis).sort()), tgtd, files };
}

/**
 * The boot scripts boot-service serves for `macs` (status and a hash of the body), as a node fetches them. A fetch
 * is itself a boot event the orchestrator records, so take these apart from backEndState.
 */
export async function servedScripts(s: Stack, macs: string[]): Promise<Record<string, string>> {
  const scripts: Record<string, string> = {};
  for (const mac of macs) {
    const res = await fetch(`${s.bootHttp}/nodes/${mac.replace(/:/g, "-")}.ipxe`);
    scripts[mac] = `${res.status} ${createHash("sha256").update(await res.text()).digest("hex").slice(0, 16)}`;
  }
  return scripts;
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (!/\.(pid|sock|qmp)$/.test(e.name)) out.push(`${path.relative(dir, p)} ${(await stat(p).catch(() => undefined))?.size ?? "-"}`);
    }
  };
  await walk(dir);
  return out.sort();
}
