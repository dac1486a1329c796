import { test } from "node:test";
import assert from "node:assert/strict";
import { LeaseEvent } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { ADMIN, harness, type Harness } from "../testkit/harness";
import type { Requester } from "../jobs/caller";
import type { AllocationParts } from "./wire";
import { allocationOn, until } from "../testkit/leases";
import type { LeaseRecord } from "./leases";
import { leaseToProto } from "./handlers";

const ALICE: Requester = { user: "alice", projects: ["p1"], admin: false, authorization: "" };
const MALLORY: Requester = { user: "mallory", projects: ["p2"], admin: false, authorization: "" };
const NODES = ["ln1", "ln2", "ln3", "ln4"].map((name, i) => ({ name, metadata: { rack: `r${i % 2}`, gpu: i < 2 ? "true" : "false" } }));

interface Instance extends AllocationParts { events: Array<{ id: string; kind: string; time: number }> }

/** One orchestrator instance's allocation parts over the harness's Redis and engine, with the events it sent. */
function instance(h: Harness, events: Instance["events"] = []): Instance {
  const parts = allocationOn(h, NODES, async (_s, data) => {
    const e = LeaseEvent.decode(data);
    events.push({ id: e.leaseId, kind: e.kind, time: Date.now() });
  }, { warnMs: 400, pollMs: 25, claimMs: 600, recheckMs: 50, endRetryBaseMs: 100, endRetryMaxMs: 400 });
  return { ...parts, events };
}

const state = (i: Instance, id: string) => i.leases.get(id).then((g) => g?.lease);
const ended = (i: Instance, id: string) => until(`lease ${id} ENDED`, async () => { const l = await state(i, id); return l?.state === "ENDED" && l; });
const lease = (i: Instance, over: { count?: number; start?: number; end: number; selector?: string; deleteDisks?: boolean }) => i.allocation.createLease(ALICE, {
  project: "p1", nodes: { count: over.count ?? 2, minCount: 0, selector: over.selector ?? "", placement: "spread" }, image: "img", network: "",
  start: over.start ?? 0, end: over.end, deleteDisks: over.deleteDisks ?? true, powerCycle: false,
}, false).then((r) => r.lease!);

test("a lease provisions its nodes at the start and at its end deprovisions and releases them, on time, with its events", async (t) => {
  const h = await harness("lease-end");
  const a = instance(h);
  t.after(async () => { await a.leases.stop(); await h.close(); });
  const t0 = Date.now();
  const l = await lease(a, { end: t0 + 1500, selector: "gpu=true" });
  assert.deepEqual(l.phases[0]!.map((n) => n.node).sort(), ["ln1", "ln2"]);
  const active = await until("nodes provisioned", async () => {
    const x = await state(a, l.id);
    const job = x?.startJobs[0] ? await h.engines[0]!.queries.job(x.startJobs[0]) : undefined;
    return job?.state === "SUCCEEDED" && x;
  });
  assert.equal(active.state, "ACTIVE");
  assert.ok(await h.engines[0]!.queries.provisioned("ln1"));
  const done = await ended(a, l.id);
  assert.ok(done.ended >= l.end, `ended ${done.ended - l.end} ms early`);
  assert.ok(done.ended - l.end < 3000, `ended ${done.ended - l.end} ms late`);
  assert.equal(Object.keys(done.endJobs).length, 2);
  assert.equal(await h.engines[0]!.queries.provisioned("ln1"), undefined);
  assert.equal(h.executor.world.disks.size, 0, "delete_disks: the disks went");
  assert.deepEqual(await h.redis.keys(`${h.prefix}sched:node:*`), [], "the reservation was released");
  assert.deepEqual(a.events.filter((e) => e.id === l.id).map((e) => e.kind), ["created", "started", "ending_soon", "ended"]);
  // Not before its warning time; its place before "ended" is the order above (how close to the end it is sent depends
  // on how busy the machine is: a CI run at load 19 sent it a few ms after the end, still before "ended").
  const soon = a.events.find((e) => e.kind === "ending_soon")!;
  assert.ok(soon.time >= l.end - 400 - 100, `ending soon came ${l.end - soon.time} ms before the end: too early`);
  // The nodes are free again for anyone.
  const again = await lease(a, { end: Date.now() + 60_000, count: 4 });
  assert.equal(again.phases[0]!.length, 4);
  await a.leases.endNow(ALICE, again.id);
});

test("timers survive an instance killed mid-lease, and two instances neither lose nor double them", async (t) => {
  const h = await harness("lease-crash");
  const a = instance(h);
  let b: Instance | undefined;
  const events: Instance["events"] = [];
  t.after(async () => { await a.leases.stop(); await b?.leases.stop(); await h.close(); });
  const l = await lease(a, { end: Date.now() + 1200, deleteDisks: false });
  await until("started", async () => (await state(a, l.id))?.startJobs.length === 1);
  // Instance a dies: its loop stops, and it had claimed the end timer (as if killed while handling it).
  await a.leases.stop();
  await h.redis.zadd(`${h.prefix}lease-timers`, Date.now() + 600, `${l.id}|end`);
  // Two instances share the timers from now on.
  b = instance(h, events);
  const c = instance(h, events);
  t.after(() => c.leases.stop());
  const done = await ended(b, l.id);
  assert.equal(Object.keys(done.endJobs).length, 2);
  assert.ok(done.ended >= l.end);
  assert.equal(await h.engines[0]!.queries.provisioned("ln1"), undefined);
  assert.equal(h.executor.world.disks.size, 2, "delete_disks false: the disks stay");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(events.filter((e) => e.id === l.id).map((e) => e.kind).sort(), ["ended", "ending_soon"], "each once");
  // Every deprovision job of the lease: exactly one per node (idempotency keys), whoever made it.
  const jobs = await h.access.list(ADMIN, "p1", { limit: 100, includeChildren: true });
  assert.equal(jobs.filter((j) => j.kind === "DEPROVISION").length, 2);
});

test("extend, shorten, end now; a future lease holds its nodes and starts on time; other projects see nothing", async (t) => {
  const h = await harness("lease-edit");
  const a = instance(h);
  t.after(async () => { await a.leases.stop(); await h.close(); });
  const now = Date.now();
  // A lease ended before its start never starts, and lets its nodes go.
  const never = await lease(a, { count: 4, start: now + 60_000, end: now + 120_000 });
  assert.equal((await a.leases.endNow(ALICE, never.id)).state, "ENDING");
  const gone = await ended(a, never.id);
  assert.deepEqual(gone.startJobs, []);
  assert.ok(!a.events.some((e) => e.id === never.id && e.kind === "started"));
  const future = await lease(a, { count: 4, start: now + 1000, end: now + 60_000 });
  assert.equal(future.state, "PENDING");
  // Held from its start: an open-ended request overlaps it; one that ends before its start does not.
  await assert.rejects(lease(a, { count: 1, end: now + 120_000 }), /only 0 of the 4 unallocated nodes are free/);
  await assert.rejects(a.allocation.allocateBulk(ALICE, "p1", { count: 1, minCount: 0, selector: "", placement: "spread" },
    { image: "img", network: "", maxParallel: 0, minSuccess: 0, allOrNothing: false, options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 } }, "", false),
  /only 0 of the 4 unallocated nodes are free/);
  const started = await until("future lease started", async () => { const l = await state(a, future.id); return l?.state === "ACTIVE" && l; });
  const startedAt = a.events.find((e) => e.id === future.id && e.kind === "started")!.time;
  assert.ok(startedAt >= future.start && startedAt - future.start < 1500, `started ${startedAt - future.start} ms after its start`);
  assert.equal(started.state, "ACTIVE");
  await until("its provisioning job", async () => (await state(a, future.id))!.startJobs.length === 1);

  await assert.rejects(a.leases.visible(MALLORY, future.id), { code: "NOT_FOUND" });
  await assert.rejects(a.leases.setEnd(MALLORY, future.id, now + 1), { code: "NOT_FOUND" });
  await assert.rejects(a.leases.endNow(MALLORY, future.id), { code: "NOT_FOUND" });
  assert.deepEqual(await a.leases.list(MALLORY, ""), []);
  await assert.rejects(a.leases.list(MALLORY, "p1"), { code: "NOT_FOUND" });

  const longer = await a.leases.setEnd(ALICE, future.id, now + 120_000);
  assert.equal(longer.end, now + 120_000);
  assert.ok(a.events.some((e) => e.kind === "extended"));
  const shorter = await a.leases.setEnd(ALICE, future.id, now + 30_000);
  assert.equal(shorter.end, now + 30_000);
  assert.equal(Number(await h.redis.zscore(`${h.prefix}lease-timers`, `${future.id}|end`)), now + 30_000);
  await until("provisioned", async () => (await h.access.provisioned(ADMIN, "p1")).length === 4);
  const t0 = Date.now();
  await a.leases.endNow(ALICE, future.id);
  await ended(a, future.id);
  assert.ok(Date.now() - t0 < 5000);
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, 0);
  await assert.rejects(a.leases.setEnd(ALICE, future.id, now + 200_000), /is ended/);
  const again: LeaseRecord = await a.leases.endNow(ALICE, future.id);
  assert.equal(again.state, "ENDED");
});

test("an end whose deprovision fails keeps the lease ENDING with the stuck node, retries it with backoff, also after a restart", async (t) => {
  const h = await harness("lease-stuck");
  const a = instance(h);
  let b: Instance | undefined;
  t.after(async () => { await a.leases.stop(); await b?.leases.stop(); await h.close(); });
  // ln1's power-off fails (permanently, as a dead BMC's would) in its first two end jobs.
  h.executor.fail("power_off", { node: "ln1", times: 2 });
  const l = await lease(a, { end: Date.now() + 800, selector: "gpu=true" });
  const stuck = await until("ln1 stuck", async () => { const x = await state(a, l.id); return x?.stuck?.["ln1"] && x; });
  assert.equal(stuck.state, "ENDING", "a lease whose node is still provisioned is not ended");
  assert.match(stuck.stuck!["ln1"]!.error, /power_off broke \(injected\)/);
  assert.ok(await h.engines[0]!.queries.provisioned("ln1"), "ln1 is still provisioned");
  const view = leaseToProto(stuck);
  assert.deepEqual(view.stuckNodes.map((n) => n.node), ["ln1"]);
  assert.match(view.stuckNodes[0]!.error, /power_off broke/);
  assert.ok(view.stuckNodes[0]!.attempts >= 1 && view.stuckNodes[0]!.nextAttempt);
  assert.ok(!a.events.some((e) => e.id === l.id && e.kind === "ended"));
  assert.ok(a.events.some((e) => e.id === l.id && e.kind === "end_failed"), "an end_failed event tells the admins");
  // The instance dies; another takes the durable end timer over and retries until the node is deprovisioned.
  await a.leases.stop();
  b = instance(h);
  const done = await ended(b, l.id);
  assert.deepEqual(done.stuck ?? {}, {});
  assert.equal(await h.engines[0]!.queries.provisioned("ln1"), undefined);
  assert.deepEqual(await h.redis.keys(`${h.prefix}sched:node:*`), [], "the reservation was released");
  const jobs = (await h.access.list(ADMIN, "p1", { limit: 100, includeChildren: true })).filter((j) => j.kind === "DEPROVISION" && j.node === "ln1");
  assert.equal(jobs.length, 3, "two failed end jobs, one that worked");
});

test("a node whose end keeps failing holds the lease ENDING, with its attempts counted, and is never reported ended", async (t) => {
  const h = await harness("lease-stuck-forever");
  const a = instance(h);
  t.after(async () => { await a.leases.stop(); await h.close(); });
  h.executor.fail("power_off", { node: "ln2" });
  const l = await lease(a, { end: Date.now() + 800, selector: "gpu=true" });
  const stuck = await until("ln2 tried 3 times", async () => { const x = await state(a, l.id); return (x?.stuck?.["ln2"]?.attempts ?? 0) >= 3 && x; });
  assert.equal(stuck.state, "ENDING");
  assert.deepEqual(Object.keys(stuck.stuck!), ["ln2"], "ln1 was deprovisioned");
  assert.equal(await h.engines[0]!.queries.provisioned("ln1"), undefined);
  assert.ok(await h.engines[0]!.queries.provisioned("ln2"));
  assert.ok(!a.events.some((e) => e.id === l.id && e.kind === "ended"));
});
