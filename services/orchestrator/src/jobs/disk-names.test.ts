import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, harness } from "../testkit/harness";
import { diskName, nextDiskSeq } from "./job-factory";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };

// The per-node counter lives only in Redis; the disks live in storage. After a flush, a lost Redis or with a new
// prefix the counter starts again at 1 while "<node>-1" still exists: the next name must come from storage.
test("with disk n1-1 in storage and an empty counter, provisioning n1 names its disk n1-2", async (t) => {
  const h = await harness("disk-names");
  t.after(() => h.close());
  h.executor.world.disks.set("p1/n1-1", "img");
  assert.equal(await h.redis.get(h.engines[0]!.store.keys.diskSeq("n1")), null);
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "n1", image: "img" }, OPTS);
  assert.equal(job.spec.disk, "n1-2");
  assert.equal((await h.waitJob(job.id)).state, "SUCCEEDED");
  assert.deepEqual([...h.executor.world.disks.keys()].sort(), ["p1/n1-1", "p1/n1-2"]);
  assert.equal(await h.redis.get(h.engines[0]!.store.keys.diskSeq("n1")), "2", "the counter caught up");

  // A bulk job asks storage once and names each node's disk past its own.
  h.executor.world.disks.set("p1/n2-1", "img").set("p1/n2-3", "img").set("p2/n3-7", "img");
  const bulk = await h.provisioning.bulk(ADMIN, "p1", { specs: [{ node: "n2", image: "img" }, { node: "n3", image: "img" }],
    maxParallel: 0, minSuccess: 0, options: OPTS });
  assert.equal((await h.waitJob(bulk.id)).state, "SUCCEEDED");
  assert.ok(h.executor.world.disks.has("p1/n2-4"));
  assert.ok(h.executor.world.disks.has("p1/n3-1"), "another project's n3-7 is not in the way");
});

test("next disk number: past the node's own names only, the counter when it is ahead", () => {
  assert.equal(nextDiskSeq("n1", 1, ["n1-1", "n10-5", "n1-x", "n1-1-3", "other-9"]), 2);
  assert.equal(nextDiskSeq("n1", 5, ["n1-1", "n1-2"]), 5);
  assert.equal(nextDiskSeq("n1", 1, []), 1);
  const long = "x".repeat(63);
  assert.equal(nextDiskSeq(long, 1, [diskName(long, 9)]), 10, "names cut to 63 characters still count");
});
