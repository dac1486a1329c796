import { createInbox, headers, type Msg, type NatsConnection, type NatsError, type Subscription } from "nats";

interface Waiting {
  resolve(): void;
  reject(err: Error): void;
  deadline: number;
  subject: string;
}

/**
 * JetStream publishing with many acks in flight and no request per message. nats.js's `js.publish` is a request:
 * a timer, a request object and an Error (for its stack) per event, which was most of the orchestrator's cost of
 * relaying events. Here every message carries a reply subject under one inbox of this publisher, the acks arrive on
 * one subscription, and one timer fails those that did not come in time. A message counts as sent only once
 * JetStream's ack for it arrived (at-least-once: the caller keeps it until then and sends it again on failure, and
 * its message id lets JetStream drop the copy). At most `maxPending` acks are awaited at once; more publishes wait.
 */
export class AckedPublisher {
  private nc: NatsConnection | undefined;
  private sub: Subscription | undefined;
  private inbox = "";
  private seq = 0;
  private readonly waiting = new Map<string, Waiting>();
  private readonly slots: Array<() => void> = [];
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly maxPending = 1024) {}

  /** Resolves once JetStream stored the message (or already had its id); rejects on an error, no stream, or timeout. */
  async publish(nc: NatsConnection, subject: string, data: Uint8Array, msgId: string, timeoutMs: number): Promise<void> {
    while (this.waiting.size >= this.maxPending) await new Promise<void>((r) => this.slots.push(r));
    this.bind(nc);
    const id = (++this.seq).toString(36);
    const done = new Promise<void>((resolve, reject) => this.waiting.set(id, { resolve, reject, deadline: Date.now() + timeoutMs, subject }));
    const h = headers();
    h.set("Nats-Msg-Id", msgId);
    try {
      nc.publish(subject, data, { reply: `${this.inbox}.${id}`, headers: h });
    } catch (err) {
      this.settle(id, err as Error);
    }
    this.sweeper ??= setInterval(() => this.sweep(), 250);
    return done;
  }

  /** Fails whatever still waits (the connection is going away). */
  close(): void {
    this.failAll(new Error("publisher closed"));
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.nc = undefined;
  }

  /** One inbox subscription per connection; a new connection fails what waited for acks on the old one. */
  private bind(nc: NatsConnection): void {
    if (nc === this.nc && this.sub && !this.sub.isClosed()) return;
    this.failAll(new Error("NATS connection replaced before JetStream answered"));
    if (this.nc !== nc) this.sub?.unsubscribe();
    this.nc = nc;
    this.inbox = createInbox();
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.acked(msg)) });
    void nc.closed().then(() => {
      if (this.nc === nc) this.failAll(new Error("NATS connection closed before JetStream answered"));
    });
  }

  private acked(msg: Msg): void {
    const id = msg.subject.slice(this.inbox.length + 1);
    const w = this.waiting.get(id);
    if (!w) return;
    // No stream listens on the subject: the server answers 503 (no responders) in a header-only message.
    if (msg.headers?.hasError) return this.settle(id, new Error(`JetStream did not take ${w.subject}: ${msg.headers.code} ${msg.headers.description}`));
    let ack: { stream?: string; error?: { description?: string; err_code?: number } };
    try {
      ack = msg.json();
    } catch {
      return this.settle(id, new Error(`JetStream answered ${w.subject} with something that is not an ack`));
    }
    if (ack.error) return this.settle(id, new Error(`JetStream refused ${w.subject}: ${ack.error.description ?? ""} [${ack.error.err_code ?? ""}]`));
    if (!ack.stream) return this.settle(id, new Error(`JetStream answered ${w.subject} without a stream`));
    this.settle(id);
  }

  private settle(id: string, err?: Error): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (err) w.reject(err);
    else w.resolve();
    this.slots.shift()?.();
    if (this.waiting.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, w] of this.waiting) if (w.deadline <= now) this.settle(id, new Error(`no JetStream ack for ${w.subject} in time`));
  }

  private failAll(err: Error | NatsError): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, err);
  }
}
