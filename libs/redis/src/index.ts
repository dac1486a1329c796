import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import type { Logger } from "@bmi/log";

export { Redis };

/**
 * Connects to Redis and resolves once it is ready. ioredis reconnects by itself with this backoff; commands
 * issued while it is down wait in its offline queue, and fail after `maxRetriesPerRequest` reconnect attempts
 * so a request never hangs for ever on a dead Redis.
 */
export async function connectRedis(url: string, log: Logger, opts: { timeoutMs?: number; tlsCa?: string } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    // rediss:// is TLS; a private CA is given as a file (ACL user and password come in the URL).
    ...(opts.tlsCa && url.startsWith("rediss:") ? { tls: { ca: readFileSync(opts.tlsCa) } } : {}),
    maxRetriesPerRequest: 20,
    enableReadyCheck: true,
    connectionName: log.bindings()["service"] as string | undefined ?? "bmi",
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  });
  let lastError: unknown;
  redis.on("error", (err: Error) => {
    if (String(err) !== String(lastError)) log.warn({ err: err.message }, "redis error");
    lastError = err;
  });
  redis.on("ready", () => log.debug("redis ready"));
  const timeout = opts.timeoutMs ?? 15_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.disconnect();
      reject(new Error(`redis at ${redact(url)} not ready after ${timeout} ms: ${String(lastError ?? "no answer")}`));
    }, timeout);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

export { StoreIdentity } from "./store-identity";
export { warnIfNotPersistent } from "./persistence";
