import type { Logger } from "@bmi/log";
import { eventsPublished, jobSubject, nodeStateSubject } from "@bmi/events";
import { JobEvent, NodeEvent } from "@bmi/proto/bmi/events/v1/events";
import { EventShapeError, jobEventBytes, nodeEventBytes } from "./events";
import type { JobStore } from "./store";
import { sleep } from "./retry";

/** Where events go; @bmi/events' EventBus is one (it keeps them in its own outbox while NATS is down). */
export interface Publisher {
  publish(subject: string, data: Uint8Array, msgId: string): Promise<void>;
}

export interface RelayOptions {
  instance: string;
  batch: number;
  /** Heartbeat of this instance; a dead instance's in-flight batch is re-sent after it expires. */
  heartbeatMs: number;
  idlePollMs: number;
  /** How long a poke waits for more events before sending (milliseconds). */
  gatherMs: number;
}

/**
 * Carries the events the Lua scripts queued with each state change to NATS. The queue is written in the same
 * script as the state, so an event cannot be lost between Redis and NATS; a batch is re-sent after a crash, and
 * the message id (job:seq) lets JetStream drop the copy.
 */
export class EventRelay {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private poked = false;
  private lastReap = 0;

  constructor(private readonly store: JobStore, private readonly publisher: Publisher,
    private readonly opts: RelayOptions, private readonly log: Logger) {}

  start(): void {
    this.loop = this.run();
  }

  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.loop;
    // Drain what is queued so a clean shutdown leaves nothing for a heartbeat to expire.
    await this.drain().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (Date.now() - this.lastReap > this.opts.heartbeatMs / 3) {
          this.lastReap = Date.now();
          const moved = await this.store.relayReap(this.opts.instance, this.opts.heartbeatMs);
          if (moved > 0) this.log.info({ moved }, "re-sending events a dead instance had in flight");
        }
        await this.drain();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "event relay paused");
        await sleep(500);
      }
      if (!this.poked) await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.idlePollMs);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      this.wake = undefined;
      this.poked = false;
      // Let the events of concurrent jobs gather: one batch instead of one Redis round trip per event.
      await sleep(this.opts.gatherMs);
    }
  }

  /** Publishes until the queue is empty. */
  async drain(): Promise<number> {
    let sent = 0;
    for (let batch = await this.store.relayTake(this.opts.instance, this.opts.batch, false); batch.length > 0;
      batch = await this.store.relayTake(this.opts.instance, this.opts.batch, true)) {
      await Promise.all(batch.map((entry) => this.publish(entry)));
      eventsPublished.inc({ path: "relay" }, batch.length);
      sent += batch.length;
    }
    return sent;
  }

  private publish(entry: string): Promise<void> {
    const [kind, key, seq, ...rest] = entry.split("\n");
    const json = rest.join("\n");
    if (kind === "job" && key && seq) {
      const data = this.bytes(json, () => jobEventBytes(json, key, Number(seq)),
        () => JobEvent.encode(JobEvent.fromJSON({ ...JSON.parse(json), jobId: key, seq: Number(seq) })).finish());
      return this.publisher.publish(jobSubject(key), data, `${key}:${seq}`);
    }
    const lenient = () => NodeEvent.fromJSON(JSON.parse(json));
    const data = this.bytes(json, () => nodeEventBytes(json), () => NodeEvent.encode(lenient()).finish());
    return this.publisher.publish(nodeStateSubject(key ?? lenient().node), data, `node:${key}:${seq}`);
  }

  /**
   * An event that does not match the proto is a bug where it was built: said at error level, then sent with what
   * does match (held back, it would stop every event behind it). The engine's tests check every event they make.
   */
  private bytes(json: string, strict: () => Uint8Array, lenient: () => Uint8Array): Uint8Array {
    try {
      return strict();
    } catch (err) {
      if (!(err instanceof EventShapeError)) throw err;
      this.log.error({ err: err.message, event: json }, "event does not match its proto message");
      return lenient();
    }
  }
}
