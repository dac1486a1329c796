import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectRedis, type Redis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { uniquePrefix } from "@bmi/testing";
import { TargetHostRegistry } from "./hosts";
import { PlacementStore } from "./placement";

// Placement against the registry target-services write (records as registry.ts writes them, in Redis time).
describe("target placement: capacity and load, health, draining, affinity, multipath", () => {
  let redis: Redis;
  const prefix = uniquePrefix("placement");
  let registry: TargetHostRegistry;
  const register = async (id: string, o: { capacity?: number; healthy?: boolean; ageMs?: number } = {}) => {
    const [s, us] = await redis.time();
    const now = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    await redis.hset(`${prefix}target:hosts`, id, JSON.stringify({ id, address: `10.0.0.${id.slice(1)}:50052`, portals: [`10.0.0.${id.slice(1)}:3260`],
      capacity: o.capacity ?? 10, healthy: o.healthy ?? true, targets: 0, heartbeatMs: now - (o.ageMs ?? 0), ttlMs: 6000 }));
  };
  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    registry = new TargetHostRegistry(redis, prefix);
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("spreads by load relative to capacity, skips dead, unhealthy, draining and full hosts", async () => {
    await register("h1", { capacity: 2 });
    await register("h2", { capacity: 4 });
    await register("h3", { healthy: false });
    await register("h4", { ageMs: 60_000 });
    await register("h5");
    await registry.setDraining("h5", true);
    const store = new PlacementStore(redis, `${prefix}orch:`, registry, { affinity: "none", multipath: 1 });
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [h] = await store.choose("p1", false);
      placed.push(h!.id);
      await store.record("p1", `d${i}`, { hosts: [h!.id] });
    }
    assert.deepEqual(placed.filter((h) => h === "h1").length, 2);
    assert.deepEqual(placed.filter((h) => h === "h2").length, 4);
    await assert.rejects(store.choose("p1", false), (err: Error) => /no target host can take a target: h1 full, h2 full, h3 unhealthy, h4 dead, h5 draining/.test(err.message));
    await store.forget("p1", "d0");
    assert.equal((await store.choose("p1", false))[0]!.id, placed[0]);
    assert.equal((await store.loads()).get(placed[0]!), (placed[0] === "h1" ? 2 : 4) - 1);
    await registry.setDraining("h5", false);
    assert.deepEqual((await registry.get("h5")).draining, false);
    await assert.rejects(registry.setDraining("nope", true), { code: "NOT_FOUND" });
  });

  it("multipath places an RBD disk on two distinct hosts, a file on one; affinity keeps a project together", async () => {
    const p2 = `${prefix}p2:`;
    const reg = new TargetHostRegistry(redis, p2);
    const save = prefix;
    void save;
    for (const id of ["h1", "h2", "h3"]) {
      const [s, us] = await redis.time();
      await redis.hset(`${p2}target:hosts`, id, JSON.stringify({ id, address: "x:1", portals: [`${id}:3260`], capacity: 10, healthy: true,
        targets: 0, heartbeatMs: Number(s) * 1000 + Math.floor(Number(us) / 1000), ttlMs: 6000 }));
    }
    const mp = new PlacementStore(redis, `${p2}orch:`, reg, { affinity: "none", multipath: 2 });
    const none = new PlacementStore(redis, `${p2}orch:`, reg, { affinity: "none", multipath: 1 });
    const two = await mp.choose("p", true);
    assert.equal(new Set(two.map((h) => h.id)).size, 2);
    assert.equal((await mp.choose("p", false)).length, 1);
    // A job keeps the count of the instance that made it (JobSpec.targetHosts): whichever instance runs it uses that.
    const [hosts, loads] = [await reg.list(), await mp.loads()];
    assert.equal((await mp.chooseAmong(hosts, loads, "p", true, [], 1)).length, 1, "the job's one host, not this instance's two");
    assert.equal((await none.chooseAmong(hosts, loads, "p", true, [], 2)).length, 2, "the job's two hosts, not this instance's one");
    const aff = new PlacementStore(redis, `${p2}orch:`, reg, { affinity: "project", multipath: 1 });
    await aff.record("a", "d1", { hosts: ["h3"] });
    await aff.record("b", "d1", { hosts: ["h1"] });
    await aff.record("b", "d2", { hosts: ["h2"] });
    assert.equal((await aff.choose("a", false))[0]!.id, "h3", "project a's host, though all are equally loaded");
    assert.equal((await none.choose("a", false))[0]!.id, "h1", "without affinity: least loaded, then by id");
    await redis.del(...(await redis.keys(`${p2}*`)));
  });
});
