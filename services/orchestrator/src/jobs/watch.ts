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
 * every event even while NATS is down. What is already logged is read first on the shared connection (a job that
 * has ended needs no other), and the blocking connection comes from a pool kept between watches.
 */
export async function* followEvents(redis: Redis, key: string, fromStart: boolean, signal: AbortSignal,
  ended: () => Promise<boolean>): AsyncGenerator<LoggedEvent> {
  const at = { last: "0-0" };
  if (!fromStart) {
    if (await ended()) return;
    const tail = (await redis.xrevrange(key, "+", "-", "COUNT", 1)) as Entries;
    at.last = tail[0]?.[0] ?? "0-0";
  }
  // Without BLOCK, on the shared connection: a watch of a job that already ended never opens another.
  for (;;) {
    const res = (await redis.xread("COUNT", 500, "STREAMS", key, at.last)) as Array<[string, Entries]> | null;
    const entries = res?.[0]?.[1] ?? [];
    if (entries.length === 0) break;
    if (yield* replay(redis, key, entries, ended, at)) return;
  }
  const pool = poolOf(redis);
  const conn = pool.take();
  // A blocked read ends only with its connection; a watcher that goes away between reads leaves it reusable.
  let reading = false;
  let cut = false;
  const stop = () => {
    if (!reading) return;
    cut = true;
    conn.disconnect();
  };
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (!signal.aborted) {
      let res: Array<[string, Entries]> | null;
      reading = true;
      try {
        res = (await conn.xread("COUNT", 500, "BLOCK", 2000, "STREAMS", key, at.last)) as Array<[string, Entries]> | null;
      } catch (err) {
        cut = true;
        if (signal.aborted) return;
        throw err;
      } finally {
        reading = false;
      }
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        // Nothing for a while: the log may have expired, or the job ended before we began reading live.
        if (await ended()) {
          const more = (await redis.xrange(key, `(${at.last}`, "+")) as Entries;
          if (more.length === 0) return;
        }
        continue;
      }
      if (yield* replay(redis, key, entries, ended, at)) return;
    }
  } finally {
    signal.removeEventListener("abort", stop);
    if (cut) conn.disconnect();
    else pool.give(conn);
  }
}

/** Yields the entries' events (moving `at`); answers true once the job's last finished event was among them. */
async function* replay(redis: Redis, key: string, entries: Entries, ended: () => Promise<boolean>,
  at: { last: string }): AsyncGenerator<LoggedEvent, boolean> {
  for (const [id, fields] of entries) {
    at.last = id;
    const ev = decode(fields);
    if (!ev) continue;
    yield ev;
    if ("finished" in ev.body && (await endedAfter(redis, key, id, ended))) return true;
  }
  return false;
}

/** A bulk job's rollback reopens a finished child: only the last finished event ends the watch. */
async function endedAfter(redis: Redis, key: string, id: string, ended: () => Promise<boolean>): Promise<boolean> {
  if (!(await ended())) return false;
  const after = (await redis.xrange(key, `(${id}`, "+", "COUNT", 1)) as Entries;
  return after.length === 0;
}

/**
 * Connections for blocking reads, kept between watches: a new one costs a connect, HELLO, a ready check and its
 * name. An idle one does not keep the process alive, and all go when the shared connection ends.
 */
class BlockingPool {
  private readonly idle: Redis[] = [];

  constructor(private readonly main: Redis, private readonly max: number) {
    main.once("end", () => this.idle.splice(0).forEach((c) => c.disconnect()));
  }

  take(): Redis {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (c.status === "ready") {
        c.stream?.ref();
        return c;
      }
      c.disconnect();
    }
    return this.main.duplicate();
  }

  give(c: Redis): void {
    if (this.idle.length >= this.max || c.status !== "ready" || this.main.status === "end") return void c.disconnect();
    c.stream?.unref();
    this.idle.push(c);
  }
}

const pools = new WeakMap<Redis, BlockingPool>();

function poolOf(redis: Redis): BlockingPool {
  let p = pools.get(redis);
  if (!p) pools.set(redis, p = new BlockingPool(redis, 16));
  return p;
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
