// Types only: the nats client itself comes with @bmi/events (see the report: re-export wanted).
import type { AckPolicy, ConsumerMessages, DeliverPolicy, NatsConnection } from "nats";
import type { Logger } from "@bmi/log";
import { ALL_BOOT_PHASES } from "@bmi/events";
import { BootPhase, BootPhaseEvent } from "@bmi/proto/bmi/events/v1/events";
import type { JobStore } from "./store";
import { sleep } from "./retry";

export interface BootJoinOptions {
  stream: string;
  /** Durable consumer shared by every instance of one stack: each boot event is handled by one of them. */
  consumer: string;
  /** Resolves with the NATS connection once it is up (EventBus.ready). */
  connection: () => Promise<NatsConnection>;
}

/**
 * Follows boot-service's boot-phase events (bmi.boot.*.phase) through a durable JetStream consumer, so events
 * published while every orchestrator was down are handled when one comes back, and joins each one to BMI's state
 * (JobStore.bootSeen). Acknowledged only after Redis has it.
 */
export class BootJoin {
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly store: JobStore, private readonly opts: BootJoinOptions, private readonly log: Logger,
    private readonly onJoined: (jobId: string) => void = () => undefined) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const nc = await this.opts.connection();
        const jsm = await nc.jetstreamManager();
        await jsm.consumers.add(this.opts.stream, {
          durable_name: this.opts.consumer, filter_subject: ALL_BOOT_PHASES, ack_policy: "explicit" as AckPolicy,
          deliver_policy: "new" as DeliverPolicy, ack_wait: 30_000 * 1e6,
          // Test stacks each make their own consumer; NATS forgets one nobody has used for a day.
          inactive_threshold: 24 * 3600_000 * 1e6,
        }).catch(async (err: Error) => {
          if (!/already (exists|in use)/i.test(err.message)) throw err;
        });
        const consumer = await nc.jetstream().consumers.get(this.opts.stream, this.opts.consumer);
        this.messages = await consumer.consume({ max_messages: 100 });
        for await (const m of this.messages) {
          await this.handle(m.data, `${this.opts.consumer}:${m.info.streamSequence}`);
          m.ack();
          if (this.stopped) break;
        }
      } catch (err) {
        if (this.stopped) break;
        this.log.warn({ err: (err as Error).message }, "boot-phase consumer paused, retrying");
        await sleep(1000);
      }
    }
  }

  private async handle(data: Uint8Array, dedupe: string): Promise<void> {
    let ev: BootPhaseEvent;
    try {
      ev = BootPhaseEvent.decode(data);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "undecodable boot-phase event dropped");
      return;
    }
    const phase = BootPhase[ev.phase]?.replace(/^BOOT_PHASE_/, "") ?? "UNSPECIFIED";
    const joined = await this.store.bootSeen(ev.node, ev.project, phase, JSON.stringify(BootPhaseEvent.toJSON(ev)), dedupe);
    if (joined && joined !== "DUP") this.onJoined(joined);
  }
}
