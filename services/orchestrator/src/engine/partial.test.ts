import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, harness } from "../testkit/harness";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ node: `n${i + 1}`, image: "img" }));

test("by default a bulk job keeps what succeeded and ends PARTIAL, naming every failed node and why", async (t) => {
  const h = await harness("partial");
  t.after(() => h.close());
  h.executor.fail("disk", { node: "n3" });
  h.executor.fail("target", { node: "n6" });
  const job = await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(8), maxParallel: 3, minSuccess: 0, options: OPTS });
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "PARTIAL", done.error);
  assert.equal(done.error, "2 of 8 nodes failed or were cancelled; 6 stay provisioned");
  assert.deepEqual([done.succeeded, done.failed, done.cancelled], [6, 2, 0]);
  assert.equal(h.executor.world.disks.size, 6);
  assert.deepEqual((await h.access.provisioned(ADMIN, "p1")).map((p) => p.node).sort(), ["n1", "n2", "n4", "n5", "n7", "n8"]);
  const { failures } = await h.access.getWithFailures(ADMIN, job.id);
  assert.deepEqual(failures.map((f) => [f.spec.node, f.spec.image, f.state]), [["n3", "img", "FAILED"], ["n6", "img", "FAILED"]]);
  assert.match(failures[0]!.error, /disk broke \(injected\)/);
  assert.match(failures[1]!.error, /target broke \(injected\)/);
});

test("a bulk job where every node fails ends FAILED, with no minimum asked", async (t) => {
  const h = await harness("allfail");
  t.after(() => h.close());
  h.executor.fail("disk");
  const done = await h.waitJob((await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(3), maxParallel: 3, minSuccess: 0, options: OPTS })).id);
  assert.equal(done.state, "FAILED");
  assert.equal(done.error, "all 3 nodes failed or were cancelled");
  assert.equal((await h.access.getWithFailures(ADMIN, done.id)).failures.length, 3);
});

test("all-or-nothing and a min_success other than the node count are refused together", async (t) => {
  const h = await harness("aonarg");
  t.after(() => h.close());
  await assert.rejects(h.provisioning.bulk(ADMIN, "p1", { specs: nodes(3), maxParallel: 0, minSuccess: 2, allOrNothing: true, options: OPTS }),
    /all_or_nothing needs every one of the 3 nodes; min_success 2 says otherwise/);
});

test("retrying a PARTIAL job's failures provisions exactly the failed nodes again", async (t) => {
  const h = await harness("retryfailed");
  t.after(() => h.close());
  h.executor.fail("disk", { node: "n2", times: 1 });
  h.executor.fail("boot_config", { node: "n5", times: 1 });
  const first = await h.waitJob((await h.provisioning.bulk(ADMIN, "p1", { specs: nodes(6), maxParallel: 2, minSuccess: 0, options: OPTS })).id);
  assert.equal(first.state, "PARTIAL", first.error);
  const { failures } = await h.access.getWithFailures(ADMIN, first.id);
  // What `bmi bulk --retry-failed` sends: the failed children's specs, as GetJob answers them.
  const specs = failures.map((f) => ({ node: f.spec.node ?? "", image: f.spec.image ?? "" }));
  assert.deepEqual(specs, [{ node: "n2", image: "img" }, { node: "n5", image: "img" }]);
  const before = h.executor.calls.length;
  const retry = await h.waitJob((await h.provisioning.bulk(ADMIN, "p1", { specs, maxParallel: 0, minSuccess: 0, options: OPTS })).id);
  assert.equal(retry.state, "SUCCEEDED", retry.error);
  assert.equal(retry.total, 2);
  const touched = new Set(h.executor.calls.slice(before).map((c) => c.split(" ").at(-1)));
  assert.deepEqual([...touched].sort(), ["n2", "n5"]);
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, 6);
  assert.equal(h.executor.world.disks.size, 6);
});
