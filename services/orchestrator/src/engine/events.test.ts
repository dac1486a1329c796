import { test } from "node:test";
import assert from "node:assert/strict";
import { EventBus, bootPhaseSubject, jobSubject } from "@bmi/events";
import { until as untilAsync } from "@bmi/async";
import { silentLogger } from "@bmi/log";
import { BootPhase, BootPhaseEvent, JobEvent } from "@bmi/proto/bmi/events/v1/events";
import { ADMIN, harness, type Harness } from "../testkit/harness";
import type { Publisher } from "./relay";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };

const until = <T>(what: string, fn: () => Promise<T | undefined | false>) => untilAsync(what, fn, 10_000, 25);

async function withBus(t: { after(fn: () => Promise<void>): void }, h: Harness): Promise<EventBus> {
  const bus = new EventBus({ servers: ["nats://127.0.0.1:4222"], redis: h.redis, outboxKey: `${h.prefix}outbox`, log: silentLogger() });
  bus.start();
  await bus.ready();
  t.after(() => bus.close());
  return bus;
}

test("every job event reaches JetStream once, in order, after the state it reports", async (t) => {
  const h = await harness("relay");
  t.after(() => h.close());
  const bus = await withBus(t, h);
  await h.engines[0]!.stop();
  const e = h.addEngine({ publisher: bus });
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "r1", image: "img" }, OPTS);
  await h.waitJob(job.id);
  await e.relay!.drain();
  const logged = await h.redis.xlen(e.store.keys.events(job.id));
  const js = (await bus.ready()).jetstream();
  const consumer = await js.consumers.get("BMI_EVENTS", { filterSubjects: jobSubject(job.id) });
  const seqs: number[] = [];
  const msgs = await consumer.fetch({ max_messages: logged, expires: 3000 });
  for await (const m of msgs) seqs.push(JobEvent.decode(m.data).seq);
  assert.deepEqual(seqs, Array.from({ length: logged }, (_, i) => i + 1));
  assert.equal(await h.redis.llen(`${h.prefix}relay`), 0);
});

test("events wait in Redis while the publisher fails and are all delivered after", async (t) => {
  const h = await harness("outage");
  t.after(() => h.close());
  let down = true;
  const got: string[] = [];
  const flaky: Publisher = {
    async publish(subject, data, msgId) {
      if (down) throw new Error("nats down");
      got.push(msgId);
      assert.ok(subject.startsWith("bmi.") && data.length > 0);
    },
  };
  await h.engines[0]!.stop();
  const e = h.addEngine({ publisher: flaky });
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "o1", image: "img" }, OPTS);
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED", "provisioning does not wait for the event bus");
  down = false;
  e.relay!.poke();
  const logged = await h.redis.xlen(e.store.keys.events(job.id));
  await until("every event", async () => new Set(got.filter((g) => g.startsWith(job.id))).size === logged);
  assert.ok(got.some((g) => g.startsWith("node:o1:")), "node state events too");
});

test("boot-phase events are joined to the job holding the node and move the node to BOOTED", async (t) => {
  const h = await harness("boot");
  t.after(() => h.close());
  const bus = await withBus(t, h);
  const consumer = `orch_test_${process.pid}_${Date.now().toString(36)}`;
  await h.engines[0]!.stop();
  const e = h.addEngine({ publisher: bus, boot: { stream: "BMI_EVENTS", consumer, connection: () => bus.ready() } });
  const jsm = await (await bus.ready()).jetstreamManager();
  await until("boot consumer", () => jsm.consumers.info("BMI_EVENTS", consumer).catch(() => undefined));
  t.after(() => jsm.consumers.delete("BMI_EVENTS", consumer).then(() => undefined, () => undefined));
  const node = `b${Date.now().toString(36)}`;
  const js = (await bus.ready()).jetstream();
  const send = (phase: BootPhase) => js.publish(bootPhaseSubject(node),
    BootPhaseEvent.encode(BootPhaseEvent.fromPartial({ node, project: "p1", phase, time: new Date(), mac: "52:54:00:00:00:01" })).finish());

  h.executor.delay("boot_config", 1500);
  const job = await h.provisioning.provision(ADMIN, "p1", { node, image: "img" }, OPTS);
  await until("boot_config running", async () => (await e.queries.job(job.id))?.steps.find((s) => s.name === "boot_config")?.state === "RUNNING");
  await send(BootPhase.BOOT_PHASE_SCRIPT_SERVED);
  await until("joined boot event", async () => {
    const evs = await h.redis.xrange(e.store.keys.events(job.id), "-", "+");
    return evs.some(([, f]) => (f[3] ?? "").includes('"boot"'));
  });
  assert.equal((await h.waitJob(job.id)).state, "SUCCEEDED");
  assert.equal((await e.queries.provisioned(node))?.state, "READY");
  await send(BootPhase.BOOT_PHASE_SCRIPT_SERVED);
  await until("BOOTING", async () => (await e.queries.provisioned(node))?.state === "BOOTING");
  await send(BootPhase.BOOT_PHASE_BOOT_ATTEMPTED);
  await until("BOOTED", async () => (await e.queries.provisioned(node))?.state === "BOOTED");
  assert.equal((await e.queries.lastBoot(node))?.phase, "BOOT_ATTEMPTED");
});

test("a finished job's log is written back at its own size: the same entries, a blocked reader gets the end, retention kept", async (t) => {
  const h = await harness("compact");
  t.after(() => h.close());
  const e = h.engines[0]!;
  h.executor.delay("boot_config", 500);
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "c1", image: "img" }, OPTS);
  const key = e.store.keys.events(job.id);
  await until("boot_config running", async () => (await e.queries.job(job.id))?.steps.find((s) => s.name === "boot_config")?.state === "RUNNING");
  const before = await h.redis.xrange(key, "-", "+");
  // A reader blocked on the live log across the finish (the script that adds the finished event rewrites the key).
  const reader = h.redis.duplicate();
  t.after(() => reader.disconnect());
  let last = before[before.length - 1]![0];
  const read: Array<[string, string[]]> = [];
  while (!read.some(([, f]) => (f[3] ?? "").includes('"finished"'))) {
    const res = (await reader.xread("BLOCK", 10_000, "STREAMS", key, last)) as Array<[string, Array<[string, string[]]>]> | null;
    assert.ok(res, "the blocked read ended without the job's next events");
    read.push(...res[0]![1]);
    last = read[read.length - 1]![0];
  }
  assert.equal((await h.waitJob(job.id)).state, "SUCCEEDED");
  assert.deepEqual(await h.redis.xrange(key, "-", "+"), [...before, ...read]);
  assert.ok((await h.redis.pttl(key)) > 0, "the finished log keeps its retention");
  // Redis gives a stream's first node 4 KiB up front (stream-node-max-bytes); written back, the log is its own size.
  const bytes = Number(await h.redis.memory("USAGE", key, "SAMPLES", 0));
  assert.ok(bytes < 4096, `the finished log still takes ${bytes} bytes`);
});
