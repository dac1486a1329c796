import { test } from "node:test";
import assert from "node:assert/strict";
import { until as untilAsync } from "@bmi/async";
import { CredentialSeal } from "../jobs/principal";
import { Provisioning } from "../jobs/provisioning";
import { ADMIN, harness, type Harness } from "../testkit/harness";
import type { Engine } from "./engine";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
const until = (what: string, fn: () => boolean) => untilAsync(what, async () => fn(), 10_000, 10);

/**
 * An engine that looks for work only when something pokes it (its idle poll is an hour), with its claims counted,
 * and requests made through it (a single job is claimed by its create and runs there).
 */
async function pokedOnly(h: Harness): Promise<{ e: Engine; claims: () => number; prov: Provisioning }> {
  await h.engines[0]!.stop();
  const e = h.addEngine({ idlePollMs: 3_600_000 });
  let claims = 0;
  const claim = e.store.claim.bind(e.store);
  e.store.claim = (...a) => {
    claims++;
    return claim(...a);
  };
  const prov = new Provisioning(e.store, e.queries, { freeNodes: async () => [] },
    { initiatorPrefix: "iqn.2026-01.org.bmi.test", defaultMaxParallel: 8, idempotencyTtlMs: 60_000, seal: new CredentialSeal(undefined) },
    () => e.poke());
  // (The worker's first look, at its start, was made already, by the method as it was.)
  return { e, claims: () => claims, prov };
}

test("a single job's end makes its worker look for no work: nothing can have become claimable", async (t) => {
  const h = await harness("lone-end");
  t.after(() => h.close());
  const { e, claims, prov } = await pokedOnly(h);
  const before = claims();
  const job = await prov.provision(ADMIN, "p1", { node: "l1", image: "img" }, OPTS);
  assert.equal((await h.waitJob(job.id)).state, "SUCCEEDED");
  // A poke would have started a claim before the worker dropped the job (the claim loop wakes in a microtask).
  await until("the run over", () => e.worker.running === 0);
  assert.equal(claims(), before, "claims made for a single job");
});

test("a bulk child's end makes its worker look at once: the next child was released by it", async (t) => {
  const h = await harness("child-end");
  t.after(() => h.close());
  const { e, prov } = await pokedOnly(h);
  const job = await prov.bulk(ADMIN, "p1", { specs: [{ node: "c1", image: "img" }, { node: "c2", image: "img" }, { node: "c3", image: "img" }],
    maxParallel: 1, minSuccess: 0, options: OPTS });
  // Without the look, the second child would wait for the worker's idle poll (an hour).
  const done = await h.waitJob(job.id);
  assert.equal(done.state, "SUCCEEDED", done.error);
  assert.equal(done.succeeded, 3);
  await until("the runs over", () => e.worker.running === 0);
});
