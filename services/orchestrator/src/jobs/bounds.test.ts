import { test } from "node:test";
import assert from "node:assert/strict";
import { harness } from "../testkit/harness";
import type { Requester } from "./caller";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
const member = (user: string): Requester => ({ user, projects: ["p1"], admin: false, authorization: "" });

test("one user's job watchers are bounded, so another user still gets a stream", async (t) => {
  const h = await harness("watchers");
  t.after(() => h.close());
  h.executor.delay("disk", 3000);
  const job = await h.provisioning.provision(member("alice"), "p1", { node: "w1", image: "img" }, OPTS);
  const abort = new AbortController();
  const open = async (who: Requester) => {
    const it = h.access.watch(who, job.id, true, abort.signal);
    await it.next();
    return it;
  };
  // The harness allows 10 streams in all, so a quarter (3) per user.
  const alices = [await open(member("alice")), await open(member("alice")), await open(member("alice"))];
  await assert.rejects(open(member("alice")), { code: "RESOURCE_EXHAUSTED", message: /alice already watches 3 jobs/ });
  const bob = await open(member("bob"));
  await alices[0]!.return(undefined);
  const again = await open(member("alice"));
  abort.abort();
  for (const it of [...alices, bob, again]) await it.return(undefined);
});

test("a bulk job's size is refused before any work: no node picked, no disk named", async (t) => {
  const h = await harness("bulk-size");
  t.after(() => h.close());
  let asked = 0;
  // The harness's node directory answers h.freeNodes: count every time it is asked.
  Object.defineProperty(h, "freeNodes", { get: () => { asked++; return []; } });
  const huge = { free: { count: 2_000_000_000, image: "img" }, maxParallel: 0, minSuccess: 0, options: OPTS };
  await assert.rejects(h.provisioning.bulk(member("alice"), "p1", huge), { code: "INVALID_ARGUMENT", message: /at most 10000 nodes/ });
  assert.equal(asked, 0);
  assert.deepEqual(await h.redis.keys(`${h.prefix}orch:diskseq:*`), []);
});
