import { randomUUID } from "node:crypto";
import {
  connect, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type NatsConnection,
} from "nats";
import type { AuditEntry, AuditSink } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { AuditRecord } from "@bmi/proto/bmi/events/v1/events";
import { AckedPublisher } from "./acked-publish";
import { natsSecurityOptions, type NatsSecurity } from "./bus";
import { auditSubject, AUDIT_SUBJECTS } from "./audit-subjects";
import { ensureStream, StreamRefusedError } from "./streams";

export interface AuditTrailOptions {
  servers: string[];
  security?: NatsSecurity;
  log: Logger;
  /** The JetStream stream (BMI_AUDIT_STREAM). */
  stream: string;
  /** Records older than this are dropped by the stream. */
  maxAgeMs: number;
  /** The stream's size; past it the oldest records go. */
  maxBytes: number;
  /** Records kept in memory while NATS is away; past it the oldest are dropped (their log lines remain). */
  maxQueue?: number;
}

/** The audit settings every service shares (libs/config auditSpec with natsSpec). */
export interface AuditSettings extends NatsSecurity {
  natsServers: string[];
  auditStream: string;
  auditMaxAgeHours: number;
  auditMaxBytes: number;
}

interface Pending { subject: string; data: Uint8Array; msgId: string }

const MAX_REQUEST_ID = 128;
const BATCH = 64;

/**
 * Where a service's audit entries go: one log line each, at once and whatever BMI_LOG_LEVEL says (but silent), and
 * a record on the JetStream audit stream (bounded in age and bytes). Recording never waits for NATS: records queue
 * in memory while it is away (bounded; the log line is the copy that stays) and are published when it is back.
 */
export class AuditTrail implements AuditSink {
  private readonly queue: Pending[] = [];
  private readonly line: Logger;
  private nc: NatsConnection | undefined;
  /** JetStream acks without a request object, a timer and an Error per record (nats.js's js.publish). */
  private readonly acks = new AckedPublisher(BATCH);
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;
  private closed = false;

  constructor(private readonly opts: AuditTrailOptions) {
    this.line = opts.log.level === "silent" ? opts.log : opts.log.child({}, { level: "info" });
  }

  /** Connects in the background; a service never waits for NATS to start. */
  start(): this {
    void this.connectLoop();
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
    return this;
  }

  record(entry: AuditEntry): void {
    const record = toRecord(entry);
    this.line.info({ audit: AuditRecord.toJSON(record) }, "audit");
    if (this.queue.length >= (this.opts.maxQueue ?? 10_000)) {
      this.queue.shift();
      if (this.dropped++ % 1000 === 0) this.opts.log.warn({ dropped: this.dropped }, "audit queue full: oldest records dropped (their log lines remain)");
    }
    this.queue.push({ subject: auditSubject(record.project, record.service), data: AuditRecord.encode(record).finish(), msgId: randomUUID() });
    this.kick();
  }

  /** Resolves once every queued record is on the stream (tests). */
  async drained(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.queue.length > 0) {
      if (Date.now() > until) throw new Error(`${this.queue.length} audit records not published`);
      this.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.flushing;
  }

  /** Publishes what is queued (for a few seconds at most), then disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.drained(5000).catch((err: Error) => this.opts.log.warn({ err: err.message }, "audit records left unpublished at shutdown"));
    this.acks.close();
    await this.nc?.drain().catch(() => undefined);
  }

  private kick(): void {
    if (this.flushing || !this.nc || this.queue.length === 0) return;
    this.flushing = this.flush().finally(() => { this.flushing = undefined; });
  }

  private async flush(): Promise<void> {
    const nc = this.nc;
    while (nc && !nc.isClosed() && this.queue.length > 0) {
      const batch = this.queue.slice(0, BATCH);
      const results = await Promise.allSettled(batch.map((p) => this.acks.publish(nc, p.subject, p.data, p.msgId, 5000)));
      const failed = results.findIndex((r) => r.status === "rejected");
      // Kept in order up to the first failure; the message ids make a re-sent record a no-op.
      this.queue.splice(0, failed < 0 ? batch.length : failed);
      if (failed >= 0) {
        this.opts.log.debug({ err: String((results[failed] as PromiseRejectedResult).reason) }, "audit publish paused");
        return;
      }
    }
  }

  private async connectLoop(): Promise<void> {
    const { log } = this.opts;
    while (!this.closed && !this.nc) {
      try {
        const nc = await connect({ ...natsSecurityOptions(this.opts.security), servers: this.opts.servers, reconnect: true,
          maxReconnectAttempts: -1, reconnectTimeWait: 500, name: `${String(log.bindings()["service"] ?? "bmi")}-audit` });
        await nc.jetstreamManager().then((jsm) => ensureAuditStream(jsm, this.opts)).catch(async (err: unknown) => {
          await nc.close();
          throw err;
        });
        this.nc = nc;
        this.kick();
      } catch (err) {
        const refused = err instanceof StreamRefusedError;
        // Refused (BMI_NATS_REPLICAS above the cluster's size): no retry fixes it soon, so said as an error, retried slowly.
        if (refused) log.error({ err: (err as Error).message }, "audit stream refused; records wait in memory");
        else log.warn({ err: (err as Error).message }, "audit stream not reachable, retrying; records wait in memory");
        await new Promise((r) => setTimeout(r, refused ? 15_000 : 2000));
      }
    }
  }
}

/** The factory a service hands to runService / createServer: an AuditTrail on its NATS settings, started. */
export function auditTrailOf(s: AuditSettings): (log: Logger) => AuditTrail {
  return (log) => new AuditTrail({
    servers: s.natsServers, security: s, log, stream: s.auditStream, maxAgeMs: s.auditMaxAgeHours * 3600_000, maxBytes: s.auditMaxBytes,
  }).start();
}

function toRecord(e: AuditEntry): AuditRecord {
  return {
    time: e.time, service: e.service, method: e.method, requestId: e.requestId.slice(0, MAX_REQUEST_ID), user: e.caller.user,
    callerService: e.caller.service ?? "", admin: e.caller.admin, project: e.project, resources: e.resources,
    accepted: e.code === "OK", code: e.code, peer: e.peer,
  };
}

/** The audit stream with its limits and replicas; a stream made with others (or by an older BMI) gets these. */
async function ensureAuditStream(jsm: JetStreamManager, o: Pick<AuditTrailOptions, "stream" | "maxAgeMs" | "maxBytes" | "security">): Promise<void> {
  await ensureStream(jsm, {
    create: { name: o.stream, subjects: AUDIT_SUBJECTS, retention: RetentionPolicy.Limits, storage: StorageType.File, duplicate_window: 120 * 1e9 },
    kept: { max_age: o.maxAgeMs * 1e6, max_bytes: o.maxBytes, max_msg_size: 64 * 1024, discard: DiscardPolicy.Old, num_replicas: o.security?.natsReplicas ?? 1 },
  });
}
