import type { Redis } from "@bmi/redis";
import type { Logger } from "@bmi/log";
import { BootJoin, type BootJoinOptions } from "./boot-join";
import type { StepExecutor } from "./step-executor";
import { Limiter } from "./limiter";
import { watchLimiter } from "./metrics";
import type { Bottleneck } from "./plan";
import { JobQueries } from "./queries";
import { EventRelay, type Publisher } from "./relay";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry";
import { JobRunner } from "./runner";
import { JobStore } from "./store";
import { Worker } from "./worker";

export interface EngineOptions {
  redis: Redis;
  /** Redis key prefix of the engine, e.g. "bmi:orch:". */
  prefix: string;
  instance: string;
  executor: StepExecutor;
  log: Logger;
  leaseMs?: number;
  capacity?: number;
  idlePollMs?: number;
  retentionMs?: number;
  limits?: Partial<Record<Bottleneck, number>>;
  retry?: RetryPolicy;
  /** Without one, events stay queued in Redis (tests of the engine alone). */
  publisher?: Publisher;
  boot?: BootJoinOptions;
}

/** The job engine of one orchestrator instance: store, worker, event relay and boot-phase join, started together. */
export class Engine {
  readonly store: JobStore;
  readonly queries: JobQueries;
  readonly worker: Worker;
  readonly limiter: Limiter;
  readonly relay: EventRelay | undefined;
  readonly bootJoin: BootJoin | undefined;
  private readonly unwatch: () => void;

  constructor(o: EngineOptions) {
    this.store = new JobStore(o.redis, o.prefix, o.retentionMs ?? 7 * 24 * 3600_000);
    this.queries = new JobQueries(o.redis, this.store.keys);
    this.limiter = new Limiter(o.limits ?? {}, { redis: o.redis, prefix: o.prefix, instance: o.instance, leaseMs: o.leaseMs ?? 15_000, log: o.log });
    this.unwatch = watchLimiter(this.limiter);
    const leaseMs = o.leaseMs ?? 15_000;
    const relay = o.publisher
      ? new EventRelay(this.store, o.publisher, { instance: o.instance, batch: 512, heartbeatMs: leaseMs, idlePollMs: 500, gatherMs: 50 }, o.log)
      : undefined;
    const runner = new JobRunner({
      store: this.store, queries: this.queries, executor: o.executor, limiter: this.limiter,
      retry: o.retry ?? DEFAULT_RETRY, log: o.log,
    });
    this.worker = new Worker(this.store, runner, {
      instance: o.instance, leaseMs, capacity: o.capacity ?? 256, idlePollMs: o.idlePollMs ?? 250,
    }, o.log);
    this.relay = relay;
    // A single job made through this instance is claimed by its create and runs here at once.
    this.store.claimer = this.worker;
    // Every write queues events: the relay sends them now. The worker looks for work after a bulk child's end
    // (Worker.launch); a cancel, which may end queued children and release others, pokes the engine (JobAccess).
    this.store.onWrite(() => relay?.poke());
    this.bootJoin = o.boot ? new BootJoin(this.store, o.boot, o.log, () => relay?.poke()) : undefined;
  }

  start(): void {
    this.worker.start();
    this.relay?.start();
    this.bootJoin?.start();
  }

  /** A job was created or cancelled here: claim and relay now rather than at the next poll. */
  poke(): void {
    this.worker.poke();
    this.relay?.poke();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.bootJoin?.stop();
    await this.relay?.stop();
    this.unwatch();
    this.limiter.close();
  }
}
