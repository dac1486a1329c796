import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, harness, type Harness } from "../testkit/harness";
import type { Requester } from "../jobs/caller";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
// A member of p1 only, and one of p2 only: what a tenant is, not the tests' admin.
const ALICE: Requester = { user: "alice", projects: ["p1"], admin: false, authorization: "" };
const BOB: Requester = { user: "bob", projects: ["p2"], admin: false, authorization: "" };
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** Provisions `nodes` in `project` (one bulk job) and answers when they are. */
async function provisioned(h: Harness, project: string, nodes: string[]): Promise<void> {
  const who = { ...ADMIN, projects: [project] };
  const job = await h.provisioning.bulk(who, project, { specs: nodes.map((node) => ({ node, image: "img" })), maxParallel: 0, minSuccess: 0, options: OPTS });
  assert.equal((await h.waitJob(job.id)).state, "SUCCEEDED");
}

/** What a refused request must leave as it was: the records, locks and job index of both projects, and the fake services. */
async function snapshot(h: Harness): Promise<string> {
  const keys = (await h.redis.keys(`${h.prefix}*`)).map((k) => k.slice(h.prefix.length))
    .filter((k) => /^(orch:)?(prov|lock|lockfence|provof|provnodes|jobs|runnable|idem)(:|$)/.test(k)).sort();
  const values = await Promise.all(keys.map(async (k) => {
    const type = await h.redis.type(h.prefix + k);
    const v = type === "hash" ? await h.redis.hgetall(h.prefix + k) : type === "string" ? await h.redis.get(h.prefix + k)
      : type === "set" ? (await h.redis.smembers(h.prefix + k)).sort() : type === "zset" ? await h.redis.zrange(h.prefix + k, "0", "-1") : type;
    return [k, v];
  }));
  const w = h.executor.world;
  return JSON.stringify({ values, disks: [...w.disks.keys()].sort(), targets: [...w.targets].sort(),
    boot: [...w.bootConfigs.keys()].sort(), allocated: [...w.allocated.entries()].sort() });
}

test("another project's node is never touched: named, it refuses the whole request (NOT_FOUND) and nothing is created", async (t) => {
  const h = await harness("bdpro-attack");
  t.after(() => h.close());
  await provisioned(h, "p1", ["a1", "a2"]);
  await provisioned(h, "p2", ["b1"]);
  const before = await snapshot(h);
  const calls = h.executor.calls.length;
  // alice names bob's node among her own: the same answer as a node that does not exist, and no half-done bulk.
  await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: ["a1", "b1"], deleteDisk: true, releaseNode: true, maxParallel: 0 }),
    { code: "NOT_FOUND", message: /node b1 is not provisioned in project p1/ });
  await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: ["b1", "nosuch"], deleteDisk: true, releaseNode: true, maxParallel: 0 }),
    { code: "NOT_FOUND", message: /nodes b1, nosuch are not provisioned in project p1/ });
  // Or names bob's project: not hers, not found.
  await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p2", { nodes: ["b1"], deleteDisk: true, releaseNode: true, maxParallel: 0 }),
    { code: "NOT_FOUND", message: /project p2 not found/ });
  await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p2", { all: true, nodes: [], deleteDisk: true, releaseNode: true, maxParallel: 0 }),
    { code: "NOT_FOUND", message: /project p2 not found/ });
  // An admin naming b1 under p1 gets the same: the node is checked against the project the request names.
  await assert.rejects(h.provisioning.bulkDeprovision(ADMIN, "p1", { nodes: ["b1"], deleteDisk: true, releaseNode: true, maxParallel: 0 }),
    { code: "NOT_FOUND" });
  assert.equal(await snapshot(h), before);
  assert.equal(h.executor.calls.length, calls, "no step ran");
  assert.equal((await h.access.list(ADMIN, "p1", { limit: 100, includeChildren: true })).length, 3, "only p1's provision jobs");

  // `all` is every node of p1 and none of p2's.
  const job = await h.provisioning.bulkDeprovision(ALICE, "p1", { all: true, nodes: [], deleteDisk: true, releaseNode: true, maxParallel: 0 });
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED", done.error);
  assert.equal(done.total, 2);
  assert.deepEqual((await h.access.provisioned(ADMIN, "p1")).map((p) => p.node), []);
  assert.deepEqual((await h.access.provisioned(BOB, "p2")).map((p) => p.node), ["b1"]);
  const w = h.executor.world;
  assert.deepEqual([...w.disks.keys()], ["p2/b1-1"]);
  assert.deepEqual([...w.bootConfigs.keys()], ["b1"]);
  assert.deepEqual([...w.allocated.entries()], [["b1", "p2"]]);
  assert.ok(!h.executor.calls.some((c) => c.startsWith("deprovision") && c.endsWith(" b1")), "no step ran on b1");
});

test("a bulk deprovision runs one DEPROVISION child per node, as DeprovisionNode makes it, at most max_parallel at once", async (t) => {
  const h = await harness("bdpro");
  t.after(() => h.close());
  const nodes = names("n", 7);
  await provisioned(h, "p1", nodes);
  // One node alone through DeprovisionNode: its job is what each child must be.
  const single = await h.waitJob((await h.provisioning.deprovision(ADMIN, "p1", "n7", true, true)).id);
  assert.equal(single.state, "SUCCEEDED");
  h.executor.delay("power_off", 15);
  h.executor.maxInFlight = 0;
  const job = await h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: nodes.slice(0, 6), deleteDisk: true, releaseNode: true, maxParallel: 2 });
  assert.equal(job.kind, "BULK");
  assert.equal(job.spec.childKind, "DEPROVISION");
  assert.equal(job.childIds.length, 6);
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED", done.error);
  assert.equal(done.succeeded, 6);
  assert.ok(h.executor.maxInFlight <= 2, `max in flight ${h.executor.maxInFlight}`);
  for (const id of done.childIds) {
    const child = (await h.access.get(ADMIN, id));
    assert.equal(child.kind, "DEPROVISION");
    assert.equal(child.parent, job.id);
    assert.deepEqual(child.steps.map((s) => [s.name, s.state]), single.steps.map((s) => [s.name, s.state]));
    assert.deepEqual({ ...child.spec, node: "", previous: undefined }, { ...single.spec, node: "", previous: undefined });
    assert.equal(child.spec.previous?.node, child.node);
  }
  assert.ok(h.executor.world.empty, JSON.stringify([...h.executor.world.disks.keys()]));
  assert.equal(h.executor.world.allocated.size, 0);
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, 0);
  // The same key again answers the same job; for another request it is refused.
  await provisioned(h, "p1", ["k1"]);
  const keyed = await h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: ["k1"], deleteDisk: false, releaseNode: false, maxParallel: 0 }, "key-1");
  assert.equal((await h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: ["k1"], deleteDisk: false, releaseNode: false, maxParallel: 0 }, "key-1")).id, keyed.id);
  await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: ["k1"], deleteDisk: true, releaseNode: false, maxParallel: 0 }, "key-1"),
    { code: "ALREADY_EXISTS" });
  assert.equal((await h.waitJob(keyed.id)).state, "SUCCEEDED");
  assert.deepEqual([...h.executor.world.disks.keys()], ["p1/k1-1"], "the disk kept without delete_disk");
});

test("bad requests are refused before anything is created", async (t) => {
  const h = await harness("bdpro-bad");
  t.after(() => h.close());
  await provisioned(h, "p1", ["n1", "n2"]);
  const req = (o: { nodes?: string[]; all?: boolean }) => ({ nodes: [], deleteDisk: false, releaseNode: false, maxParallel: 0, ...o });
  const before = await snapshot(h);
  const refused: Array<[string, { nodes?: string[]; all?: boolean }, string, RegExp]> = [
    ["no nodes", {}, "INVALID_ARGUMENT", /no nodes: name them, or ask for all/],
    ["nodes and all", { nodes: ["n1"], all: true }, "INVALID_ARGUMENT", /nodes or all, not both/],
    ["a node twice", { nodes: ["n1", "n2", "n1"] }, "INVALID_ARGUMENT", /node n1 is named twice/],
    ["a bad name", { nodes: ["n1", "../x"] }, "INVALID_ARGUMENT", /node name "\.\.\/x" is invalid/],
    ["over the bulk limit", { nodes: names("x", 10_001) }, "INVALID_ARGUMENT", /at most 10000 nodes, not 10001/],
  ];
  for (const [what, o, code, message] of refused) {
    await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p1", req(o)), { code, message }, what);
  }
  assert.equal(await snapshot(h), before);
  // A node a job works on (here: its provision still running): the whole request is refused, as DeprovisionNode
  // refuses it, and n1 is left as it was.
  h.executor.delay("boot_config", 200);
  const busy = await h.provisioning.provision(ADMIN, "p1", { node: "n3", image: "img" }, OPTS);
  const n1 = await h.redis.hgetall(`${h.prefix}prov:n1`);
  const jobs = (await h.access.list(ADMIN, "p1", { limit: 100, includeChildren: true })).length;
  await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p1", req({ nodes: ["n1", "n3"] })),
    { code: "FAILED_PRECONDITION", message: new RegExp(`node n3 is busy with job ${busy.id}`) });
  await assert.rejects(h.provisioning.bulkDeprovision(ALICE, "p1", req({ all: true })),
    { code: "FAILED_PRECONDITION", message: new RegExp(`node n3 is busy with job ${busy.id}`) });
  assert.deepEqual(await h.redis.hgetall(`${h.prefix}prov:n1`), n1);
  assert.equal(await h.redis.get(`${h.prefix}lock:n1`), null);
  assert.equal((await h.access.list(ADMIN, "p1", { limit: 100, includeChildren: true })).length, jobs);
  await h.waitJob(busy.id);
  // A project with nothing provisioned has nothing for `all`.
  await assert.rejects(h.provisioning.bulkDeprovision({ ...ALICE, projects: ["p3"] }, "p3", req({ all: true })),
    { code: "FAILED_PRECONDITION", message: /project p3 has no provisioned node/ });
});

test("a failed node does not stop the others and is not rolled back: PARTIAL, its failure names it, and a retry of it succeeds", async (t) => {
  const h = await harness("bdpro-partial");
  t.after(() => h.close());
  const nodes = names("n", 4);
  await provisioned(h, "p1", nodes);
  h.executor.fail("power_off", { node: "n2", times: 1 });
  const job = await h.provisioning.bulkDeprovision(ALICE, "p1", { nodes, deleteDisk: true, releaseNode: true, maxParallel: 2 });
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "PARTIAL");
  assert.equal(done.error, "1 of 4 nodes failed or were cancelled; 3 deprovisioned");
  assert.equal(done.succeeded, 3);
  assert.equal(done.failed, 1);
  // What succeeded stays deprovisioned; the failed node is still provisioned (and kept its disk).
  assert.deepEqual((await h.access.provisioned(ADMIN, "p1")).map((p) => p.node), ["n2"]);
  assert.deepEqual([...h.executor.world.disks.keys()], ["p1/n2-1"]);
  assert.ok(!h.executor.calls.some((c) => c.startsWith("undo")), h.executor.calls.filter((c) => c.startsWith("undo")).join(", "));
  const { failures } = await h.access.getWithFailures(ALICE, job.id);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.spec.node, "n2");
  assert.equal(failures[0]?.spec.deleteDisk, true);
  assert.equal(failures[0]?.spec.releaseNode, true);
  assert.match(failures[0]?.error ?? "", /power_off/);
  // Retried with what the failure says (the CLI's --retry-failed): the node is free of its failed job, and now succeeds.
  const again = await h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: failures.map((f) => f.spec.node ?? ""),
    deleteDisk: failures[0]?.spec.deleteDisk ?? false, releaseNode: failures[0]?.spec.releaseNode ?? false, maxParallel: 0 });
  const second = await h.waitJob(again.id);
  assert.equal(second.state, "SUCCEEDED", second.error);
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, 0);
  assert.ok(h.executor.world.empty);
});

test("a bulk deprovision whose every node fails ends FAILED; cancelled, it stops the nodes not started and keeps them provisioned", async (t) => {
  const h = await harness("bdpro-fail");
  t.after(() => h.close());
  await provisioned(h, "p1", names("n", 6));
  h.executor.fail("target", { node: "n1" });
  const failed = await h.waitJob((await h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: ["n1"], deleteDisk: true, releaseNode: false, maxParallel: 0 })).id);
  assert.equal(failed.state, "FAILED");
  assert.equal(failed.error, "all 1 nodes failed or were cancelled");
  h.executor.delay("power_off", 80);
  const job = await h.provisioning.bulkDeprovision(ALICE, "p1", { nodes: names("n", 6).slice(1), deleteDisk: true, releaseNode: true, maxParallel: 1 });
  while ((await h.access.get(ADMIN, job.id)).succeeded < 1) await new Promise((r) => setTimeout(r, 10));
  await h.access.cancel(ALICE, job.id);
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "CANCELLED");
  assert.equal(done.succeeded + done.cancelled + done.failed, 5);
  assert.ok(done.cancelled >= 3, JSON.stringify(done));
  // What was deprovisioned stays so (no undo); the nodes not reached are provisioned as they were: READY, unlocked
  // (one caught mid-way is FAILED, as a cancelled DeprovisionNode leaves it).
  const left = (await h.access.provisioned(ADMIN, "p1")).filter((p) => p.node !== "n1");
  assert.equal(left.length, 5 - done.succeeded);
  for (const p of left) assert.equal(await h.redis.get(`${h.prefix}lock:${p.node}`), null, p.node);
  assert.ok(left.filter((p) => p.state === "READY").length >= 3, JSON.stringify(left.map((p) => [p.node, p.state])));
  assert.ok(!h.executor.calls.some((c) => c.startsWith("undo")));
});
