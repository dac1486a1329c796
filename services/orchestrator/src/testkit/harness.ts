import { CredentialSeal } from "../jobs/principal";
import { connectRedis, deleteKeys, type Redis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { Engine, type EngineOptions } from "../engine/engine";
import { TERMINAL, type JobRecord } from "../engine/types";
import { FakeExecutor } from "./fake-steps";
import { Provisioning } from "../jobs/provisioning";
import { JobAccess } from "../jobs/job-access";
import type { Requester } from "../jobs/caller";

export const ADMIN: Requester = { user: "tester", projects: ["p1"], admin: true, authorization: "" };

export interface Harness {
  redis: Redis;
  prefix: string;
  executor: FakeExecutor;
  engines: Engine[];
  provisioning: Provisioning;
  access: JobAccess;
  /** Free nodes the fake gateway answers for "N free nodes". */
  freeNodes: string[];
  addEngine(overrides?: Partial<EngineOptions>): Engine;
  waitJob(id: string, timeoutMs?: number): Promise<JobRecord>;
  close(): Promise<void>;
}

/** Engines on real Redis with the fake executor, each test under its own key prefix. */
export async function harness(tag: string, overrides: Partial<EngineOptions> = {}): Promise<Harness> {
  const log = silentLogger();
  const redis = await connectRedis("redis://127.0.0.1:6379", log);
  const prefix = `bmitest:orch-${tag}:${process.pid}:${Date.now().toString(36)}:`;
  const executor = new FakeExecutor();
  const engines: Engine[] = [];
  let n = 0;
  const addEngine = (o: Partial<EngineOptions> = {}) => {
    const e = new Engine({ redis, prefix, instance: `${tag}-${n++}`, executor, log, leaseMs: 1000, idlePollMs: 50,
      retry: { maxAttempts: 4, baseMs: 10, maxMs: 50 }, ...overrides, ...o });
    e.start();
    engines.push(e);
    return e;
  };
  const first = addEngine();
  const h: Harness = {
    redis, prefix, executor, engines, addEngine, freeNodes: [],
    provisioning: new Provisioning(first.store, first.queries, { freeNodes: async () => h.freeNodes },
      { initiatorPrefix: "iqn.2026-01.org.bmi.test", defaultMaxParallel: 8, idempotencyTtlMs: 60_000, seal: new CredentialSeal(undefined),
        disks: { names: async (project) => fakeDiskNames(executor, project) } },
      () => first.poke()),
    // As server.ts wires it: a cancel (which may end queued bulk children and release others) pokes the engine.
    access: new JobAccess(first.store, first.queries, 10, () => first.poke()),
    async waitJob(id, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const job = await first.queries.job(id);
        if (job && TERMINAL.has(job.state)) return job;
        if (Date.now() > until) throw new Error(`job ${id} still ${job?.state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await Promise.all(engines.map((e) => e.stop()));
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
  return h;
}

/** The disks the fake image-service holds in `project`, as ListDisks answers. */
function fakeDiskNames(executor: FakeExecutor, project: string): string[] {
  return [...executor.world.disks.keys()].filter((k) => k.startsWith(`${project}/`)).map((k) => k.slice(project.length + 1));
}
