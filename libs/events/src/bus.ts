import { readFileSync } from "node:fs";
import {
  connect, credsAuthenticator, DiscardPolicy, type ConnectionOptions, type JetStreamClient,
  type NatsConnection, RetentionPolicy, StorageType,
} from "nats";
import type { Redis } from "ioredis";
import type { Logger } from "@bmi/log";
import { DEFAULT_STREAM, STREAM_SUBJECTS } from "./subjects";
import { eventsPublished, watchOutbox } from "./bus-metrics";
import { inSpan, SpanKind } from "@bmi/tracing";
import { ensureStream, StreamRefusedError } from "./streams";
import { AckedPublisher } from "./acked-publish";

export interface EventBusOptions {
  servers: string[];
  stream?: string;
  redis: Redis;
  /** Redis key of the outbox list; one per service keeps flushing single-writer. */
  outboxKey: string;
  log: Logger;
  /** Flush period while events wait in the outbox. */
  flushMs?: number;
  /** Credentials, TLS and stream replicas, as the shared NATS settings name them (libs/config natsSpec). */
  security?: NatsSecurity;
}

export interface NatsSecurity {
  natsUser: string;
  natsPasswordFile: string;
  natsCredsFile: string;
  natsTlsCa: string;
  /** Copies JetStream keeps of each BMI stream (BMI_NATS_REPLICAS); 1 when absent. */
  natsReplicas?: number;
}

/** nats.js connection options for BMI's NATS settings: a creds file or user/password, and TLS with a CA. */
export function natsSecurityOptions(s: NatsSecurity | undefined): Partial<ConnectionOptions> {
  if (!s) return {};
  return {
    ...(s.natsCredsFile ? { authenticator: credsAuthenticator(readFileSync(s.natsCredsFile)) } : {}),
    ...(s.natsUser ? { user: s.natsUser, pass: s.natsPasswordFile ? readFileSync(s.natsPasswordFile, "utf8").trim() : "" } : {}),
    ...(s.natsTlsCa ? { tls: { caFile: s.natsTlsCa } } : {}),
  };
}

interface Pending { subject: string; data: string; msgId: string }

/**
 * Publishes events to JetStream after the state they report is durable. When NATS is down (or events are already
 * waiting) an event goes to a Redis list instead and a flusher delivers it later, in order; the JetStream
 * message id makes a re-sent event a no-op, so nothing is lost and nothing is seen twice.
 */
export class EventBus {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private closed = false;
  private unwatch: () => void = () => undefined;
  /** Why JetStream refuses BMI's stream, while it does: ready() answers it at once instead of timing out. */
  private refused: StreamRefusedError | undefined;
  private readonly acks = new AckedPublisher();

  constructor(private readonly opts: EventBusOptions) {}

  /** Connects in the background: start-up never waits for NATS. */
  start(): void {
    this.unwatch = watchOutbox(this.opts.outboxKey, this.opts.redis);
    void this.connectLoop();
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs ?? 500);
  }

  get connection(): NatsConnection | undefined {
    return this.nc && !this.nc.isClosed() ? this.nc : undefined;
  }

  /** Resolves once NATS is connected and the stream exists (tests, readiness). */
  async ready(timeoutMs = 10_000): Promise<NatsConnection> {
    const until = Date.now() + timeoutMs;
    while (!this.js || !this.nc) {
      if (this.refused) throw this.refused;
      if (Date.now() > until) throw new Error("NATS not connected");
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.nc;
  }

  publish(subject: string, data: Uint8Array, msgId: string): Promise<void> {
    return inSpan(`publish ${subject.split(".").slice(0, 2).join(".")}`, {
      kind: SpanKind.PRODUCER, attributes: { "messaging.system": "nats", "messaging.destination.name": subject },
    }, () => this.send(subject, data, msgId));
  }

  /**
   * Straight to JetStream with no outbox, for a caller that keeps events until they are acknowledged (the
   * orchestrator's relay queue, written with the state it reports): fails while NATS is away, and the caller sends
   * again. Many may be in flight at once.
   */
  publishDirect(subject: string, data: Uint8Array, msgId: string, timeoutMs = 5000): Promise<void> {
    const nc = this.connection;
    if (!nc || !this.js) return Promise.reject(new Error("NATS is not connected"));
    return this.acks.publish(nc, subject, data, msgId, timeoutMs);
  }

  private async send(subject: string, data: Uint8Array, msgId: string): Promise<void> {
    const { redis, outboxKey } = this.opts;
    if (this.js && this.nc && (await redis.llen(outboxKey)) === 0) {
      try {
        await this.acks.publish(this.nc, subject, data, msgId, 2000);
        eventsPublished.inc({ path: "direct" });
        return;
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message, subject }, "event publish failed, kept in outbox");
      }
    }
    const entry: Pending = { subject, data: Buffer.from(data).toString("base64"), msgId };
    await redis.lpush(outboxKey, JSON.stringify(entry));
    eventsPublished.inc({ path: "outbox" });
  }

  /** Delivers what waits in the outbox, oldest first; stops at the first failure. */
  async flush(): Promise<number> {
    const nc = this.nc;
    if (this.flushing || !this.js || !nc) return 0;
    this.flushing = true;
    let sent = 0;
    try {
      const { redis, outboxKey } = this.opts;
      for (;;) {
        const raw = await redis.lindex(outboxKey, -1);
        if (raw === null) break;
        const e = JSON.parse(raw) as Pending;
        await this.acks.publish(nc, e.subject, Buffer.from(e.data, "base64"), e.msgId, 2000);
        await redis.rpop(outboxKey);
        eventsPublished.inc({ path: "flushed" });
        sent++;
      }
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message }, "outbox flush paused");
    } finally {
      this.flushing = false;
    }
    return sent;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unwatch();
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.nc?.drain().catch(() => undefined);
    this.acks.close();
  }

  private async connectLoop(): Promise<void> {
    const { log } = this.opts;
    while (!this.closed && !this.nc) {
      try {
        const nc = await connect({ ...natsSecurityOptions(this.opts.security), servers: this.opts.servers, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, name: log.bindings()["service"] as string });
        const name = this.opts.stream ?? DEFAULT_STREAM;
        // A connection whose stream could not be made is closed, or it would reconnect for ever beside the next one.
        await nc.jetstreamManager().then((jsm) => ensureStream(jsm, eventStream(name, this.opts.security?.natsReplicas ?? 1)))
          .catch(async (err: unknown) => {
            await nc.close();
            throw err;
          });
        this.refused = undefined;
        this.nc = nc;
        this.js = nc.jetstream();
        log.info({ servers: this.opts.servers, stream: name }, "nats connected");
        void this.flush();
      } catch (err) {
        if (err instanceof StreamRefusedError) {
          // A setting no retry fixes (BMI_NATS_REPLICAS above the cluster's size): said once, loudly; retried slowly
          // in case the operator grows the cluster or fixes the stream by hand.
          if (this.refused?.message !== err.message) log.error({ err: err.message }, "events stream refused; events wait in the outbox");
          this.refused = err;
          await new Promise((r) => setTimeout(r, 15_000));
          continue;
        }
        log.warn({ err: (err as Error).message }, "nats not reachable, retrying; events wait in the outbox");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

/**
 * The events stream, bounded in age, bytes and message size: boot-phase callbacks come from unauthenticated nodes,
 * and a flood of them must age out the oldest events rather than fill the NATS server's disk. A stream made by an
 * older BMI gets the limits too.
 */
const STREAM_LIMITS = {
  max_age: 7 * 24 * 3600 * 1e9, max_bytes: 1024 ** 3, max_msg_size: 64 * 1024, discard: DiscardPolicy.Old,
} as const;

function eventStream(name: string, replicas: number) {
  return {
    create: { name, subjects: STREAM_SUBJECTS, retention: RetentionPolicy.Limits, storage: StorageType.File, duplicate_window: 120 * 1e9 },
    kept: { ...STREAM_LIMITS, num_replicas: replicas },
  };
}
