import type { Redis } from "@bmi/redis";

/** One entry of a job's event log: its number and the JobEvent body in proto3 JSON form. */
export interface LoggedEvent {
  seq: number;
  body: Record<string, unknown>;
}

type Entries = Array<[string, string[]]>;

/**
 * Reads a job's event log (a Redis stream written by the engine's scripts, on any instance) and follows it with
 * blocking reads on a connection of its own, until the job's finished event. Independent of NATS: a watcher sees
 * every event even while NATS is down.
 */
export async function* followEvents(redis: Redis, key: string, fromStart: boolean, signal: AbortSignal,
  ended: () => Promise<boolean>): AsyncGenerator<LoggedEvent> {
  let last = "0-0";
  if (!fromStart) {
    if (await ended()) return;
    const tail = (await redis.xrevrange(key, "+", "-", "COUNT", 1)) as Entries;
    last = tail[0]?.[0] ?? "0-0";
  }
  const conn = redis.duplicate();
  const stop = () => conn.disconnect();
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (!signal.aborted) {
      let res: Array<[string, Entries]> | null;
      try {
        res = (await conn.xread("COUNT", 500, "BLOCK", 2000, "STREAMS", key, last)) as Array<[string, Entries]> | null;
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        // Nothing for a while: the log may have expired, or the job ended before we began reading live.
        if (await ended()) {
          const more = (await redis.xrange(key, `(${last}`, "+")) as Entries;
          if (more.length === 0) return;
        }
        continue;
      }
      for (const [id, fields] of entries) {
        last = id;
        const ev = decode(fields);
        if (!ev) continue;
        yield ev;
        // A bulk job's rollback reopens a finished child: only the last finished event ends the watch.
        if ("finished" in ev.body && (await ended())) {
          const after = (await redis.xrange(key, `(${id}`, "+", "COUNT", 1)) as Entries;
          if (after.length === 0) return;
        }
      }
    }
  } finally {
    signal.removeEventListener("abort", stop);
    conn.disconnect();
  }
}

function decode(fields: string[]): LoggedEvent | undefined {
  let seq = 0;
  let body: Record<string, unknown> | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === "seq") seq = Number(fields[i + 1]);
    if (fields[i] === "ev") body = JSON.parse(fields[i + 1] ?? "{}") as Record<string, unknown>;
  }
  return body ? { seq, body } : undefined;
}
