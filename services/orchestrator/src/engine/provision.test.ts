import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, harness } from "../testkit/harness";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };

test("provision runs every step once, records it, and deprovision removes everything", async (t) => {
  const h = await harness("prov");
  t.after(() => h.close());
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img", network: "net1" }, OPTS);
  assert.equal(job.state, "PENDING");
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED", done.error);
  assert.deepEqual(done.steps.map((s) => `${s.name}:${s.state}`), [
    "check_node:SUCCEEDED", "allocate:SUCCEEDED", "disk:SUCCEEDED", "target:SUCCEEDED", "boot_config:SUCCEEDED",
    "network:SUCCEEDED", "power:SKIPPED", "boot_seen:SKIPPED"]);
  const w = h.executor.world;
  assert.deepEqual([...w.disks.keys()], ["p1/n1-1"]);
  assert.deepEqual([...w.targets], ["p1/n1-1"]);
  assert.equal(w.bootConfigs.get("n1"), "n1-1");
  assert.ok(w.networks.has("n1/net1"));
  const prov = await h.engines[0]!.queries.provisioned("n1");
  assert.equal(prov?.state, "READY");
  assert.equal(prov?.iqn, "iqn.2026-01.test:n1-1");
  assert.equal(await h.engines[0]!.queries.lockHolder("n1"), undefined);

  // The event log: numbered from 1 without gaps, created first, finished last.
  const events = await h.redis.xrange(h.engines[0]!.store.keys.events(job.id), "-", "+");
  const bodies = events.map(([, f]) => JSON.parse(f[3] ?? "{}") as Record<string, unknown>);
  assert.deepEqual(events.map(([, f]) => Number(f[1])), events.map((_, i) => i + 1));
  assert.ok("created" in bodies[0]!);
  assert.ok("finished" in bodies.at(-1)!);
  assert.equal(bodies.filter((b) => "stepSucceeded" in b).length, 6);
  // Secrets stay in Redis for later steps but never in events.
  assert.ok(!JSON.stringify(bodies).includes("s3cret"));

  await assert.rejects(h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS), /already provisioned/);
  const dpro = await h.provisioning.deprovision(ADMIN, "p1", "n1", true, true);
  const gone = await h.waitJob(dpro.id);
  assert.equal(gone.state, "SUCCEEDED", gone.error);
  assert.ok(w.empty, JSON.stringify([...w.disks.keys(), ...w.targets, ...w.bootConfigs.keys()]));
  assert.equal(w.allocated.size, 0);
  assert.equal(await h.engines[0]!.queries.provisioned("n1"), undefined);
});

for (const step of ["check_node", "allocate", "disk", "target", "boot_config", "network", "power"]) {
  test(`a permanent failure at ${step} undoes what was done and leaves nothing behind`, async (t) => {
    const h = await harness(`fail-${step}`);
    t.after(() => h.close());
    h.executor.fail(step);
    const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img", network: "net1" },
      { ...OPTS, powerCycle: true });
    const done = await h.waitJob(job.id);
    assert.equal(done.state, "FAILED");
    assert.match(done.error, new RegExp(`^${step}: ${step} broke`));
    assert.ok(h.executor.world.empty);
    assert.equal(h.executor.world.allocated.size, 0);
    const failedAt = done.steps.findIndex((s) => s.name === step);
    for (const s of done.steps.slice(0, failedAt + 1)) assert.equal(s.state, "UNDONE", `${s.name} ${s.state}`);
    assert.equal(await h.engines[0]!.queries.provisioned("n1"), undefined);
    assert.equal(await h.engines[0]!.queries.lockHolder("n1"), undefined);
  });
}

test("transient errors are retried with backoff; the step records its attempts", async (t) => {
  const h = await harness("transient");
  t.after(() => h.close());
  h.executor.fail("target", { transient: true, times: 2 });
  const done = await h.waitJob((await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS)).id);
  assert.equal(done.state, "SUCCEEDED");
  assert.equal(done.steps.find((s) => s.name === "target")?.attempts, 3);
  assert.equal(h.executor.world.created.get("target:p1/n1-1"), 1);
});

test("a step that keeps failing transiently gives up and rolls back", async (t) => {
  const h = await harness("giveup");
  t.after(() => h.close());
  h.executor.fail("disk", { transient: true });
  const done = await h.waitJob((await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS)).id);
  assert.equal(done.state, "FAILED");
  assert.equal(done.steps.find((s) => s.name === "disk")?.attempts, 4);
  assert.ok(h.executor.world.empty);
});

test("cancel stops a running job and undoes its steps, including the one in flight", async (t) => {
  const h = await harness("cancel");
  t.after(() => h.close());
  h.executor.delay("boot_config", 400);
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS);
  while ((await h.engines[0]!.queries.job(job.id))?.steps.find((s) => s.name === "boot_config")?.state !== "RUNNING") {
    await new Promise((r) => setTimeout(r, 10));
  }
  const c = await h.access.cancel(ADMIN, job.id);
  assert.equal(c.state, "CANCELLING");
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "CANCELLED");
  assert.match(done.error, /cancelled by tester/);
  assert.ok(h.executor.world.empty);
  await assert.rejects(h.access.cancel(ADMIN, job.id), /already ended CANCELLED/);
});

test("a job cancelled before it starts never runs", async (t) => {
  const h = await harness("cancel-pending");
  t.after(() => h.close());
  await h.engines[0]!.worker.stop();
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS);
  assert.equal((await h.access.cancel(ADMIN, job.id)).state, "CANCELLED");
  assert.equal(h.executor.calls.length, 0);
  assert.equal(await h.engines[0]!.queries.provisioned("n1"), undefined);
  assert.equal(await h.engines[0]!.queries.lockHolder("n1"), undefined);
});

test("the same idempotency key answers the same job; another request under it is refused", async (t) => {
  const h = await harness("idem");
  t.after(() => h.close());
  const a = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS, "key-1");
  const b = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS, "key-1");
  assert.equal(a.id, b.id);
  await assert.rejects(h.provisioning.provision(ADMIN, "p1", { node: "n2", image: "img" }, OPTS, "key-1"), /different request/);
  await h.waitJob(a.id);
  assert.equal(h.executor.world.disks.size, 1);
});

test("re-provisioning points a node at an earlier disk without cloning, and a snapshot makes an image", async (t) => {
  const h = await harness("reprov");
  t.after(() => h.close());
  const first = await h.waitJob((await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "a" }, OPTS)).id);
  assert.equal(first.state, "SUCCEEDED");
  await h.waitJob((await h.provisioning.deprovision(ADMIN, "p1", "n1", false, false)).id);
  const second = await h.waitJob((await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "b" }, OPTS)).id);
  assert.equal(second.spec.disk, "n1-2");
  const snap = await h.waitJob((await h.provisioning.snapshot(ADMIN, "p1", "n1", "b-snap")).id);
  assert.equal(snap.state, "SUCCEEDED", snap.error);
  assert.ok(h.executor.world.images.has("p1/b-snap"));
  await h.waitJob((await h.provisioning.provision(ADMIN, "p1", { node: "n9", image: "c" }, OPTS)).id);
  await assert.rejects(h.provisioning.reprovision(ADMIN, "p1", "n1", "n9-1", OPTS), /disk n9-1 is in use by node n9/);
  const back = await h.waitJob((await h.provisioning.reprovision(ADMIN, "p1", "n1", "n1-1", OPTS)).id);
  assert.equal(back.state, "SUCCEEDED", back.error);
  const w = h.executor.world;
  assert.equal(w.bootConfigs.get("n1"), "n1-1");
  assert.deepEqual([...w.targets].sort(), ["p1/n1-1", "p1/n9-1"]);
  assert.equal(w.disks.size, 3);
  assert.equal(w.created.get("disk:p1/n1-1"), 1);
  const view = await h.access.provisioned(ADMIN, "p1");
  assert.deepEqual(view.map((v) => [v.node, v.disk, v.image, v.disks.join(",")]), [["n1", "n1-1", "a", "n1-1,n1-2"], ["n9", "n9-1", "c", "n9-1"]]);
});
