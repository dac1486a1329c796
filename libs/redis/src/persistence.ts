import type { Redis } from "ioredis";
import type { Logger } from "@bmi/log";

/**
 * Logs one warning at start-up when Redis keeps nothing across its own restart (no append-only file, no RDB
 * snapshots): what the service keeps there would then vanish with it. Managed Redis often forbids CONFIG; INFO
 * still tells whether the append-only file is on, and otherwise nothing is claimed either way.
 */
export async function warnIfNotPersistent(redis: Redis, log: Logger, what: string): Promise<void> {
  let aof: string;
  let save: string;
  try {
    aof = String(((await redis.config("GET", "appendonly")) as string[])[1] ?? "");
    save = String(((await redis.config("GET", "save")) as string[])[1] ?? "");
  } catch (err) {
    const info = await redis.info("persistence").catch(() => "");
    if (/^aof_enabled:1/m.test(info)) return;
    log.info({ err: (err as Error).message }, `Redis forbids CONFIG GET: could not check that it persists ${what}`);
    return;
  }
  if (aof !== "yes" && save.trim() === "") {
    log.warn({ appendonly: aof, save }, `Redis has no persistence (appendonly no, no save points): a Redis restart loses ${what}; turn on appendonly`);
  }
}
