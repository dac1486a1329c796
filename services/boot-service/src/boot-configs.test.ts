import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "@bmi/log";
import { connectRedis, type Redis } from "@bmi/redis";
import { uniquePrefix } from "@bmi/testing";
import type { BootConfig } from "./boot-config";
import { BootConfigs } from "./boot-configs";
import { RedisBootStore } from "./drivers/redis-store";
import { sample } from "./testkit/support";

describe("boot configs in Redis", () => {
  const prefix = uniquePrefix("boot-configs");
  let redis: Redis;
  let configs: BootConfigs;
  const seen: string[][] = [];

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    configs = new BootConfigs(new RedisBootStore(redis, prefix), silentLogger());
    configs.onChange(async (all: BootConfig[]) => { seen.push(all.map((c) => c.node)); });
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("stores, finds by any of its MACs, lists and clears; listeners hear each change", async () => {
    await configs.set(sample());
    assert.equal((await configs.get("n1")).target.iqn, "iqn.2026-01.org.example.bmi:p1.d1");
    assert.equal((await configs.byMac("52-54-00-00-00-02"))?.node, "n1");
    await configs.set(sample({ node: "n2", project: "p2", macs: ["52:54:00:00:00:09"] }));
    assert.deepEqual((await configs.list()).map((c) => c.node), ["n1", "n2"]);
    assert.deepEqual((await configs.list(["p2"])).map((c) => c.node), ["n2"]);
    assert.equal(await configs.clear("n2"), true);
    assert.equal(await configs.clear("n2"), false);
    await assert.rejects(configs.get("n2"), { code: "NOT_FOUND" });
    assert.equal(await configs.byMac("52:54:00:00:00:09"), undefined);
    assert.deepEqual(seen, [["n1"], ["n1", "n2"], ["n1"]]);
  });

  it("gives a MAC to one node only, and releases a node's old MACs when its config changes", async () => {
    await assert.rejects(configs.set(sample({ node: "n3", macs: ["52:54:00:00:00:01"] })), { code: "ALREADY_EXISTS", message: /belongs to node n1/ });
    await configs.set(sample({ macs: ["52:54:00:00:00:05"] }));
    assert.equal(await configs.byMac("52:54:00:00:00:01"), undefined);
    await configs.set(sample({ node: "n3", macs: ["52:54:00:00:00:01"] }));
    assert.equal((await configs.byMac("52:54:00:00:00:01"))?.node, "n3");
  });

  it("the same config set again (a retry after its caller died mid-call) leaves one config, its MACs still its own", async () => {
    // SetBootConfig is one script in Redis: a crash leaves all of it or none, and a retry writes the same again.
    const first = await configs.set(sample({ node: "n4", macs: ["52:54:00:00:00:44"] }));
    const again = await configs.set(sample({ node: "n4", macs: ["52:54:00:00:00:44"] }));
    assert.deepEqual({ ...again, updated: "" }, { ...first, updated: "" });
    assert.equal((await configs.list()).filter((c) => c.node === "n4").length, 1);
    assert.equal((await configs.byMac("52:54:00:00:00:44"))?.node, "n4");
  });

  it("a second store instance (a restarted service) sees the same configs", async () => {
    const again = new BootConfigs(new RedisBootStore(redis, prefix), silentLogger());
    assert.deepEqual(await again.get("n1"), await configs.get("n1"));
  });
});
