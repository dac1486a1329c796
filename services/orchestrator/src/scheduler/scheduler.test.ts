import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectRedis, type Redis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { Scheduler, type NodeView } from "./scheduler";
import { matches, parseSelector } from "./selector";
import type { Requester } from "../jobs/caller";

const WHO: Requester = { user: "alice", projects: ["p1", "p2"], admin: false, authorization: "" };
let redis: Redis;
const prefix = `bmitest:sched:${process.pid}:${Date.now().toString(36)}:`;

/** 12 nodes over racks r1..r3 (4 each); n1..n8 have gpu=true; cpus 8 or 32. */
const NODES: NodeView[] = Array.from({ length: 12 }, (_, i) => ({
  name: `n${String(i + 1).padStart(2, "0")}`,
  metadata: { rack: `r${(i % 3) + 1}`, cpus: i % 2 === 0 ? "32" : "8", ...(i < 8 ? { gpu: "true" } : {}) },
}));
const sched = () => new Scheduler(redis, prefix, { free: async () => NODES });

async function snapshot(): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(`${prefix}*`)).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const type = await redis.type(k);
    out[k] = type === "hash" ? await redis.hgetall(k) : type === "set" ? (await redis.smembers(k)).sort() : await redis.get(k);
  }
  return out;
}

before(async () => { redis = await connectRedis("redis://127.0.0.1:6379", silentLogger()); });
after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe("selectors", () => {
  it("match labels, capability minimums, absence and presence", () => {
    const s = parseSelector("gpu=true, cpus>=16,rack!=r3,accelerators");
    assert.equal(s.text, "gpu=true,cpus>=16,rack!=r3,accelerators");
    assert.ok(matches(s, { gpu: "true", cpus: "32", rack: "r1", accelerators: "a100" }));
    assert.ok(!matches(s, { gpu: "true", cpus: "8", rack: "r1", accelerators: "a100" }));
    assert.ok(!matches(s, { gpu: "true", cpus: "32", rack: "r3", accelerators: "a100" }));
    assert.ok(!matches(s, { gpu: "true", cpus: "lots", rack: "r1", accelerators: "a100" }));
    assert.ok(!matches(s, { gpu: "true", cpus: "32", rack: "r1" }));
    assert.throws(() => parseSelector("cpus>=many"), { code: "INVALID_ARGUMENT" });
    assert.throws(() => parseSelector("$(reboot)=1"), { code: "INVALID_ARGUMENT" });
    assert.throws(() => parseSelector("a=b c"), { code: "INVALID_ARGUMENT" });
  });

  it("refuse empty terms and a doubled =, which would have widened or garbled the match", () => {
    assert.equal(parseSelector("").terms.length, 0, "empty: every node");
    assert.equal(parseSelector("  ").terms.length, 0, "blanks: every node");
    assert.throws(() => parseSelector(",,"), { code: "INVALID_ARGUMENT", message: /term 1 is empty/ });
    assert.throws(() => parseSelector("gpu=true,"), { code: "INVALID_ARGUMENT", message: /term 2 is empty/ });
    assert.throws(() => parseSelector("gpu=true,,cpus>=4"), { code: "INVALID_ARGUMENT", message: /term 2 is empty/ });
    assert.throws(() => parseSelector("gpu==true"), { code: "INVALID_ARGUMENT", message: /use one = \(K=V\), not ==/ });
    assert.throws(() => parseSelector("gpu!==true"), { code: "INVALID_ARGUMENT", message: /not !==/ });
  });
});

describe("the scheduler", () => {
  it("spreads across racks, or packs into the smallest rack that holds them", async () => {
    const s = sched();
    const spread = await s.preview(WHO, { project: "p1", owner: "t", count: 3, selector: "", placement: "spread" });
    assert.deepEqual(new Set(Object.values(spread.racks)), new Set(["r1", "r2", "r3"]));
    const pack = await s.preview(WHO, { project: "p1", owner: "t", count: 3, selector: "", placement: "pack" });
    assert.equal(new Set(Object.values(pack.racks)).size, 1, JSON.stringify(pack.racks));
    const big = await s.preview(WHO, { project: "p1", owner: "t", count: 6, selector: "", placement: "pack" });
    assert.equal(new Set(Object.values(big.racks)).size, 2, JSON.stringify(big.racks));
    const sel = await s.preview(WHO, { project: "p1", owner: "t", count: 4, selector: "gpu=true,cpus>=16", placement: "spread" });
    assert.deepEqual(sel.nodes.sort(), ["n01", "n03", "n05", "n07"]);
  });

  it("races for the last matching nodes: no node is given twice, the losers are told what was missing", async () => {
    const s = sched();
    // 8 gpu nodes; 5 taken by an earlier request leaves 3.
    const first = await s.reserve(WHO, { project: "p1", owner: "first", count: 5, selector: "gpu=true", placement: "spread" });
    assert.equal(first.nodes.length, 5);
    const racers = Array.from({ length: 8 }, (_, i) => new Scheduler(redis, prefix, { free: async () => NODES })
      .reserve(WHO, { project: "p2", owner: `racer${i}`, count: 2, selector: "gpu=true", placement: i % 2 ? "pack" : "spread" }));
    const results = await Promise.allSettled(racers);
    const won = results.filter((r): r is PromiseFulfilledResult<Awaited<(typeof racers)[number]>> => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(won.length, 1, "3 free nodes make one pair");
    const given = [...first.nodes, ...won.flatMap((w) => w.value.nodes)];
    assert.equal(new Set(given).size, given.length, `a node given twice: ${given.join(",")}`);
    for (const l of lost) {
      assert.equal(l.reason.code, "FAILED_PRECONDITION");
      assert.match(l.reason.message, /only 1 of the 8 unallocated nodes matching gpu=true are free, 2 requested/);
    }
    // The losers took nothing: the one node left is still there, for a request that allows a minimum.
    const rest = await s.reserve(WHO, { project: "p2", owner: "min", count: 4, minCount: 1, selector: "gpu=true", placement: "spread" });
    assert.equal(rest.nodes.length, 1);
    assert.ok(!given.includes(rest.nodes[0]!));
    await assert.rejects(s.reserve(WHO, { project: "p2", owner: "x", count: 1, selector: "gpu=true", placement: "spread" }),
      /only 0 of the 8 unallocated nodes matching gpu=true are free/);
    await assert.rejects(s.reserve(WHO, { project: "p2", owner: "x", count: 20, selector: "", placement: "spread" }),
      /only 12 of the 12 unallocated nodes match \(any\), 20 requested/);
    for (const r of [first, won[0]!.value, rest]) await s.release(r.id);
    assert.deepEqual(await redis.keys(`${prefix}sched:node:*`), []);
  });

  it("holds a future window: overlapping requests miss those nodes, earlier ones may use them, extending into another's window is refused", async () => {
    const s = sched();
    const now = Date.now();
    const hour = 3600_000;
    const later = await s.reserve(WHO, { project: "p1", owner: "later", count: 12, selector: "", placement: "spread", start: now + 2 * hour, end: now + 3 * hour });
    await assert.rejects(s.reserve(WHO, { project: "p2", owner: "x", count: 1, selector: "", placement: "spread" }),
      /only 0 of the 12 unallocated nodes are free, 1 requested/); // open-ended: overlaps
    const before = await s.reserve(WHO, { project: "p2", owner: "before", count: 2, selector: "", placement: "spread", end: now + hour });
    assert.equal(before.nodes.length, 2);
    await assert.rejects(s.reschedule(before.id, now, now + 2.5 * hour), /is reserved then by later/);
    await s.reschedule(before.id, now, now + 2 * hour); // up to the other's start: no overlap
    await s.release(later.id);
    await s.release(before.id);
  });

  it("counts leased nodes against the project's node quota, and a dry run changes nothing", async () => {
    const s = sched();
    await redis.hset(`${prefix}quota:p1`, "nodes", 3);
    await redis.sadd(`${prefix}provof:p1`, "elsewhere");
    const a = await s.reserve(WHO, { project: "p1", owner: "a", count: 2, selector: "", placement: "spread", end: Date.now() + 60_000, quota: true });
    const snap = await snapshot();
    const plan = await s.preview(WHO, { project: "p1", owner: "b", count: 5, minCount: 0, selector: "", placement: "spread", quota: false });
    assert.equal(plan.nodes.length, 5);
    assert.deepEqual(await snapshot(), snap, "a preview wrote to Redis");
    await assert.rejects(s.reserve(WHO, { project: "p1", owner: "b", count: 1, selector: "", placement: "spread", end: Date.now() + 60_000, quota: true }),
      { code: "RESOURCE_EXHAUSTED", message: /quota nodes of project p1: 3 of 3 in use \(leases included\)/ });
    assert.deepEqual(await snapshot(), snap, "a refused request wrote to Redis");
    await s.release(a.id);
    await redis.del(`${prefix}quota:p1`, `${prefix}provof:p1`);
  });

  it("skips nodes a job holds or BMI provisioned, and transient reservations expire", async () => {
    const s = sched();
    await redis.set(`${prefix}lock:n01`, "job1");
    await redis.hset(`${prefix}prov:n02`, "project", "p9");
    const r = await s.reserve(WHO, { project: "p1", owner: "bulk", count: 10, selector: "", placement: "pack", transientMs: 300 });
    assert.ok(!r.nodes.includes("n01") && !r.nodes.includes("n02"));
    await assert.rejects(s.reserve(WHO, { project: "p1", owner: "x", count: 1, selector: "", placement: "pack" }), /only 0 of/);
    await new Promise((res) => setTimeout(res, 400));
    const again = await s.reserve(WHO, { project: "p1", owner: "x", count: 10, selector: "", placement: "pack" });
    assert.equal(again.nodes.length, 10);
    await s.release(again.id);
    await redis.del(`${prefix}lock:n01`, `${prefix}prov:n02`);
  });
});
