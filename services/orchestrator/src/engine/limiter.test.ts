import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectRedis, type Redis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { uniquePrefix } from "@bmi/testing";
import { Limiter } from "./limiter";

// Limits held in Redis: what several orchestrator processes share. Three limiters stand for three instances.
describe("limits shared by several orchestrators through Redis", () => {
  let redis: Redis;
  const prefix = `${uniquePrefix("limiter")}orch:`;
  const limiters: Limiter[] = [];
  const make = (instance: string, leaseMs = 2000) => {
    const l = new Limiter({ "target-host": 4, image: 3 }, { redis, prefix, instance, leaseMs, log: silentLogger() });
    limiters.push(l);
    return l;
  };
  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
  });
  after(async () => {
    for (const l of limiters) l.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("three instances with 30 steps each never run more than the limit at once, and all run", async () => {
    const ls = ["o1", "o2", "o3"].map((i) => make(i));
    let running = 0;
    let peak = 0;
    let done = 0;
    const step = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
      running--;
      done++;
    };
    const seen: number[] = [];
    const watch = setInterval(() => void ls[0]!.view().then((v) => {
      const h = v.find((x) => x.bottleneck === "target-host:h1");
      if (h) seen.push(h.holders.length);
    }), 10);
    await Promise.all(ls.flatMap((l, i) => Array.from({ length: 30 }, (_, n) => l.run("target-host:h1", step, { job: `j${i}-${n}`, step: "target" }))));
    clearInterval(watch);
    assert.equal(done, 90);
    assert.equal(peak, 4, "the limit is reached and never passed");
    assert.ok(seen.length > 0 && Math.max(...seen) <= 4);
    // Another host's bottleneck has slots of its own.
    const [other] = await Promise.all([ls[1]!.view()]);
    assert.deepEqual(other.find((v) => v.bottleneck === "target-host:h1")?.holders, []);
  });

  it("a crashed holder's slots come back after its lease; ListLimits shows holders and waiters meanwhile", async () => {
    const crashed = make("crashed", 600);
    const alive = make("alive", 600);
    // The crashed instance takes every slot and stops renewing (its process is gone: close() stops the renewer).
    const stuck = Array.from({ length: 3 }, () => crashed.run("image", () => new Promise<void>(() => undefined)));
    void stuck;
    await new Promise((r) => setTimeout(r, 100));
    crashed.close();
    const started = Date.now();
    const waiting = alive.run("image", async () => Date.now() - started, { job: "j", step: "disk" });
    await new Promise((r) => setTimeout(r, 100));
    const view = (await alive.view()).find((v) => v.bottleneck === "image")!;
    assert.equal(view.limit, 3);
    assert.deepEqual(view.holders.map((h) => h.instance), ["crashed", "crashed", "crashed"]);
    assert.equal(view.waiters, 1);
    const waited = await waiting;
    assert.ok(waited >= 300 && waited < 3000, `admitted after the lease ran out (${waited} ms)`);
    const after = (await alive.view()).find((v) => v.bottleneck === "image")!;
    assert.equal(after.waiters, 0);
  });

  it("a holder that keeps renewing keeps its slot past the lease", async () => {
    const a = make("a", 300);
    const b = make("b", 300);
    let release!: () => void;
    const held = Promise.all([1, 2, 3].map(() => a.run("image", () => new Promise<void>((r) => { release = r; setTimeout(r, 1200); }))));
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await b.run("image", async () => undefined);
    assert.ok(Date.now() - started >= 1000, "b waited for a's renewed slots, not for their first lease");
    release();
    await held;
  });
});
