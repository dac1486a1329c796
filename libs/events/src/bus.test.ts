import { after, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, AckPolicy, DeliverPolicy } from "nats";
import { silentLogger } from "@bmi/log";
import { connectRedis } from "@bmi/redis";
import { freePort, uniquePrefix } from "@bmi/testing";
import { EventBus } from "./bus";
import { jobSubject } from "./subjects";

// A private nats-server, so the test can take NATS away and bring it back without touching the shared one.
function startNats(port: number, dir: string): ChildProcess {
  return spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: "ignore" });
}
async function stopNats(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  p.kill("SIGKILL");
  await new Promise((r) => p.once("exit", r));
}

it("keeps events in the Redis outbox while NATS is down and delivers them in order after", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bmi-nats-"));
  const port = await freePort();
  const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
  const outboxKey = `${uniquePrefix("events")}outbox`;
  const bus = new EventBus({ servers: [`nats://127.0.0.1:${port}`], redis, outboxKey, log: silentLogger(), flushMs: 100, stream: "BMI_TEST" });
  let nats: ChildProcess | undefined;
  after(async () => {
    await bus.close();
    if (nats) await stopNats(nats);
    await redis.del(outboxKey);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  bus.start(); // NATS is not running yet: start-up must not wait for it
  for (let i = 1; i <= 3; i++) await bus.publish(jobSubject("j1"), Buffer.from(`e${i}`), `j1-${i}`);
  assert.equal(await redis.llen(outboxKey), 3);

  nats = startNats(port, dir);
  await bus.ready(15_000);
  await bus.publish(jobSubject("j1"), Buffer.from("e4"), "j1-4"); // queued behind the outbox, not ahead of it
  for (let i = 0; i < 50 && (await redis.llen(outboxKey)) > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await redis.llen(outboxKey), 0);

  const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add("BMI_TEST", { durable_name: "t", ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await nc.jetstream().consumers.get("BMI_TEST", "t");
  const got: string[] = [];
  const msgs = await consumer.fetch({ max_messages: 10, expires: 2000 });
  for await (const m of msgs) got.push(Buffer.from(m.data).toString());
  assert.deepEqual(got, ["e1", "e2", "e3", "e4"]);

  await bus.publish(jobSubject("j1"), Buffer.from("e4"), "j1-4"); // a re-sent event is dropped by its message id
  const info = await jsm.streams.info("BMI_TEST");
  assert.equal(info.state.messages, 4);
  // Bounded: unauthenticated boot callbacks feed this stream, a flood ages out the oldest events.
  assert.deepEqual([info.config.max_bytes, info.config.max_msg_size, info.config.discard], [1024 ** 3, 64 * 1024, "old"]);
  await nc.close();
});
