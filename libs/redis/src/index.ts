import { readFileSync } from "node:fs";
import { Redis, type Command } from "ioredis";
import { openChildSpan, SpanKind, tracingOn } from "@bmi/tracing";
import type { Logger } from "@bmi/log";
import { describeLocation, sentinelOptions, type RedisLocation } from "./sentinel";

export { Redis };

/**
 * Connects to Redis (a URL, or the master its Sentinels name: see RedisLocation) and resolves once it is ready.
 * ioredis reconnects by itself with this backoff; commands issued while it is down wait in its offline queue, and
 * fail after `maxRetriesPerRequest` reconnect attempts so a request never hangs for ever on a dead Redis.
 */
export async function connectRedis(
  where: string | RedisLocation, log: Logger, opts: { timeoutMs?: number; tlsCa?: string } = {},
): Promise<Redis> {
  const loc: RedisLocation = typeof where === "string" ? { url: where, ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}) } : where;
  const url = loc.url;
  const common = {
    maxRetriesPerRequest: 20,
    enableReadyCheck: true,
    connectionName: log.bindings()["service"] as string | undefined ?? "bmi",
    retryStrategy: (times: number) => Math.min(50 * 2 ** times, 2000),
  };
  const redis = loc.sentinels?.length
    ? new Redis({ ...common, ...sentinelOptions(loc) })
    : new Redis(url, {
      // rediss:// is TLS; a private CA is given as a file (ACL user and password come in the URL).
      ...(loc.tlsCa && url.startsWith("rediss:") ? { tls: { ca: readFileSync(loc.tlsCa) } } : {}),
      ...common,
    });
  if (tracingOn()) traceCommands(redis);
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
      reject(new Error(`redis at ${describeLocation(loc, redact)} not ready after ${timeout} ms: ${String(lastError ?? "no answer")}`));
    }, timeout);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

/**
 * With tracing on, every command sent on behalf of a traced call is a client span (`redis EVALSHA`, ...), a child
 * of the call's: the job engine's Lua scripts show in the provision's trace. Commands of background loops are not
 * traced.
 */
function traceCommands(redis: Redis): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Command, ...rest: unknown[]) => {
    const span = openChildSpan(`redis ${command.name.toUpperCase()}`, {
      kind: SpanKind.CLIENT, attributes: { "db.system": "redis", "db.operation": command.name },
    });
    command.promise.then(() => span.end(), (err: unknown) => span.end(err instanceof Error ? err.message : String(err)));
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as typeof redis.sendCommand;
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

export { redisLocation, type RedisLocation } from "./sentinel";
export { StoreIdentity } from "./store-identity";
export { warnIfNotPersistent } from "./persistence";
export { deleteKeys, hsetIfField } from "./keys";
export { evalLua } from "./eval";
export { loadLua, luaSourceDir } from "./load-lua";
