import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, harness } from "../testkit/harness";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ node: `n${i + 1}`, image: "img" }));

test("a bulk job provisions every node, never more than max_parallel at once", async (t) => {
  const h = await harness("bulk");
  t.after(() => h.close());
  h.executor.delay("disk", 20);
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(20), maxParallel: 5, minSuccess: 0, options: OPTS });
  assert.equal(job.kind, "BULK");
  assert.equal(job.childIds.length, 20);
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED", done.error);
  assert.equal(done.succeeded, 20);
  assert.ok(h.executor.maxInFlight <= 5, `max in flight ${h.executor.maxInFlight}`);
  assert.equal(h.executor.world.disks.size, 20);
  const list = await h.access.list(ADMIN, "p1", { limit: 10, includeChildren: false });
  assert.deepEqual(list.map((j) => j.id), [job.id]);
  assert.equal((await h.access.list(ADMIN, "p1", { limit: 100, includeChildren: true })).length, 21);
});

test("N free nodes are picked through the gateway, skipping busy and provisioned ones", async (t) => {
  const h = await harness("free");
  t.after(() => h.close());
  await h.waitJob((await h.provisioning.provision(ADMIN, "p1", { node: "f1", image: "img" }, OPTS)).id);
  h.freeNodes = ["f1", "f2", "f3", "f4"];
  const job = await h.provisioning.bulk(ADMIN, "p1", { free: { count: 2, image: "img" }, maxParallel: 0, minSuccess: 0, options: OPTS });
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED");
  assert.deepEqual([...h.executor.world.bootConfigs.keys()].sort(), ["f1", "f2", "f3"]);
  await assert.rejects(h.provisioning.bulk(ADMIN, "p1", { free: { count: 2, image: "img" }, maxParallel: 0, minSuccess: 0, options: OPTS }),
    /only 1 free nodes, 2 requested/);
});

test("all-or-nothing: one failed node rolls every node back and the job fails", async (t) => {
  const h = await harness("rollback");
  t.after(() => h.close());
  h.executor.fail("target", { node: "n4" });
  h.executor.delay("target", 10);
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(8), maxParallel: 3, minSuccess: 0, allOrNothing: true, options: OPTS });
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "FAILED");
  assert.match(done.error, /1 of 8 nodes failed or were cancelled; at least 8 had to succeed/);
  assert.equal(done.succeeded, 0);
  assert.equal(done.failed + done.cancelled, 8);
  assert.ok(h.executor.world.empty, JSON.stringify([...h.executor.world.disks.keys()]));
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, 0);
});

test("with min_success met, a failed node does not stop the others and the job ends PARTIAL", async (t) => {
  const h = await harness("minsucc");
  t.after(() => h.close());
  h.executor.fail("disk", { node: "n2" });
  const done = await h.waitJob((await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(6), maxParallel: 2, minSuccess: 5, options: OPTS })).id);
  assert.equal(done.state, "PARTIAL");
  assert.equal(done.succeeded, 5);
  assert.equal(done.failed, 1);
  assert.equal(h.executor.world.disks.size, 5);
});

test("cancelling a bulk job stops what has not started; finished nodes stay provisioned", async (t) => {
  const h = await harness("bulkcancel");
  t.after(() => h.close());
  h.executor.delay("boot_config", 60);
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(10), maxParallel: 2, minSuccess: 0, options: OPTS });
  while (((await h.access.get(ADMIN, job.id)).succeeded) < 2) await new Promise((r) => setTimeout(r, 10));
  await h.access.cancel(ADMIN, job.id);
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "CANCELLED");
  assert.equal(done.succeeded + done.cancelled, 10);
  assert.ok(done.succeeded >= 2 && done.succeeded <= 4, String(done.succeeded));
  assert.equal(h.executor.world.disks.size, done.succeeded);
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, done.succeeded);
});

test("watching a bulk job replays its events and follows it to the end", async (t) => {
  const h = await harness("watch");
  t.after(() => h.close());
  h.executor.delay("disk", 30);
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(4), maxParallel: 2, minSuccess: 0, options: OPTS });
  const seen: string[] = [];
  for await (const ev of h.access.watch(ADMIN, job.id, true, new AbortController().signal)) {
    seen.push(Object.keys(ev.body).filter((k) => k !== "time")[0] ?? "");
  }
  assert.deepEqual(seen, ["created", "childFinished", "childFinished", "childFinished", "childFinished", "finished"]);
  const live: number[] = [];
  for await (const ev of h.access.watch(ADMIN, job.id, false, new AbortController().signal)) live.push(ev.seq);
  assert.deepEqual(live, [], "a finished job has no live events");
});

test("steps take their bottleneck's slots in their start writes: two instances never pass a limit, and no slot is left", async (t) => {
  const h = await harness("slots", { limits: { image: 2, target: 1, hil: 3, boot: 2 } });
  t.after(() => h.close());
  h.addEngine();
  h.executor.delay("disk", 15);
  h.executor.delay("target", 10);
  // A retried step releases its slot before its backoff; a failed node's undo takes slots of its own.
  h.executor.fail("target", { node: "n3", times: 2, transient: true });
  h.executor.fail("boot_config", { node: "n7" });
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(16), maxParallel: 16, minSuccess: 0, options: OPTS });
  const done = await h.waitJob(job.id, 30_000);
  assert.equal(done.state, "PARTIAL", done.error);
  assert.equal(done.succeeded, 15);
  const most = Object.fromEntries(h.executor.maxStepInFlight);
  assert.ok(most.disk! <= 2 && most.target! <= 1 && most.boot_config! <= 2 && most.check_node! <= 3, JSON.stringify(most));
  assert.equal(most.disk, 2, "the limit is reached");
  for (const b of ["image", "target", "hil", "boot"]) {
    assert.equal(await h.redis.zcard(`${h.prefix}limit:${b}:holders`), 0, `${b}: no holder left`);
    assert.equal(await h.redis.zcard(`${h.prefix}limit:${b}:waiters`), 0, `${b}: no waiter left`);
    assert.equal(await h.redis.hlen(`${h.prefix}limit:${b}:info`), 0, `${b}: no holder info left`);
  }
});

test("a step that says it will call nothing takes no slot: it does not queue behind its bottleneck's limit", async (t) => {
  const h = await harness("idle", { limits: { target: 1 } });
  t.after(() => h.close());
  h.executor.delay("target", 30);
  // As a deprovision's power_off of a node without power control, or an allocate of a node the project holds.
  h.executor.idleWhen = (ctx) => ctx.step === "target";
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(8), maxParallel: 8, minSuccess: 0, options: OPTS });
  const done = await h.waitJob(job.id, 30_000);
  assert.equal(done.state, "SUCCEEDED", done.error);
  assert.ok((h.executor.maxStepInFlight.get("target") ?? 0) > 1, "idle steps ran side by side past target=1");
  assert.equal(await h.redis.zcard(`${h.prefix}limit:target:holders`), 0, "no holder left");
});
