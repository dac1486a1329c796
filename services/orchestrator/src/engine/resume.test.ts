import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, harness } from "../testkit/harness";
import type { StepExecutor } from "./step-executor";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ node: `n${i + 1}`, image: "img" }));

test("an instance that dies mid-job leaves its jobs to another, which finishes them without repeating work", async (t) => {
  const h = await harness("resume");
  t.after(() => h.close());
  h.executor.delay("target", 200);
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(12), maxParallel: 12, minSuccess: 0, options: OPTS });
  // Wait until targets are in flight, then stop the instance as a crash would: no lease handed back.
  while (!h.executor.calls.some((c) => c.includes(" target "))) await new Promise((r) => setTimeout(r, 5));
  await h.engines[0]!.worker.stop({ handBack: false });
  const stalled = await h.access.get(ADMIN, job.id);
  assert.equal(stalled.state, "RUNNING");
  h.addEngine();
  const done = await h.waitJob(job.id, 15_000);
  assert.equal(done.state, "SUCCEEDED", done.error);
  const w = h.executor.world;
  assert.equal(w.disks.size, 12);
  assert.equal(w.targets.size, 12);
  for (const [what, n] of w.created) assert.equal(n, 1, `${what} created ${n} times`);
  const child = await h.access.get(ADMIN, done.childIds[0]!);
  assert.ok(child.steps.find((s) => s.name === "target")!.attempts >= 2, "the in-flight step ran again");
  assert.equal(child.steps.find((s) => s.name === "disk")!.attempts, 1, "the finished step did not");
});

test("a late write from an instance that lost its lease is refused (fencing)", async (t) => {
  const h = await harness("fence");
  t.after(() => h.close());
  await h.engines[0]!.worker.stop();
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS);
  const store = h.engines[0]!.store;
  const [old] = await store.claim("dead", 1, 10);
  await new Promise((r) => setTimeout(r, 20));
  const [fresh] = await store.claim("alive", 10_000, 10);
  assert.equal(fresh?.id, job.id);
  assert.equal(await store.transition(old!, { expect: ["PENDING", "RUNNING"], state: "RUNNING" }), "FENCED");
  assert.equal(await store.transition(fresh!, { expect: ["PENDING", "RUNNING"], state: "RUNNING" }), "OK");
  assert.deepEqual(await store.renew(10_000, [old!, fresh!]), [job.id]);
});

test("two instances share the work and nothing is done twice", async (t) => {
  const h = await harness("two");
  t.after(() => h.close());
  const ran = [0, 0];
  const counting = (i: number): StepExecutor => ({
    run: (ctx) => { ran[i]!++; return h.executor.run(ctx); },
    undo: (ctx) => h.executor.undo(ctx),
  });
  await h.engines[0]!.stop();
  h.addEngine({ executor: counting(0), capacity: 4 });
  h.addEngine({ executor: counting(1), capacity: 4 });
  h.executor.delay("disk", 15);
  const ids = [];
  for (const spec of nodes(30)) ids.push((await h.provisioning.provision(ADMIN, "p1", spec, OPTS)).id);
  for (const id of ids) assert.equal((await h.waitJob(id)).state, "SUCCEEDED");
  assert.ok(ran[0]! > 0 && ran[1]! > 0, `work split ${ran.join("/")}`);
  assert.equal(ran[0]! + ran[1]!, 30 * 5);
  assert.equal(h.executor.world.disks.size, 30);
  for (const [what, n] of h.executor.world.created) assert.equal(n, 1, `${what} created ${n} times`);
});

test("a graceful stop finishes the step in flight and hands the job over: nothing is redone", async (t) => {
  const h = await harness("handover");
  t.after(() => h.close());
  h.executor.delay("target", 300);
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS);
  while (!h.executor.calls.some((c) => c.includes(" target "))) await new Promise((r) => setTimeout(r, 5));
  await h.engines[0]!.worker.stop();
  h.addEngine();
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED", done.error);
  for (const s of done.steps.filter((x) => x.state === "SUCCEEDED")) assert.equal(s.attempts, 1, `${s.name} ran ${s.attempts} times`);
  assert.equal(h.executor.calls.filter((c) => c.includes(" target ")).length, 1);
});

test("a single job is claimed by the create that makes it and runs there at once; a crash leaves it to another instance", async (t) => {
  const h = await harness("claim-create");
  t.after(() => h.close());
  const first = h.engines[0]!;
  h.executor.delay("check_node", 100);
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS);
  // Answered as the create script left it: claimed for this instance (fence 1), and already running here.
  assert.equal(job.owner, "claim-create-0");
  assert.equal(job.fence, 1);
  assert.equal(first.worker.running, 1);
  assert.equal((await h.waitJob(job.id)).state, "SUCCEEDED");

  // Claimed at its create, then the instance dies before the job ends: another takes it once the lease runs out.
  h.executor.delay("check_node", 300);
  const second = await h.provisioning.provision(ADMIN, "p1", { node: "n2", image: "img" }, OPTS);
  assert.equal(second.owner, "claim-create-0");
  await first.worker.stop({ handBack: false });
  h.addEngine();
  const done = await h.waitJob(second.id, 15_000);
  assert.equal(done.state, "SUCCEEDED", done.error);
  assert.ok(done.fence >= 2, "claimed again by the other instance");

  // A worker with no room leaves the job to the claim loop of whichever instance has some.
  const full = await h.provisioning.provision(ADMIN, "p1", { node: "n3", image: "img" }, OPTS);
  assert.equal(full.owner, "", "the stopped instance claims nothing");
  assert.equal((await h.waitJob(full.id, 15_000)).state, "SUCCEEDED");
});
