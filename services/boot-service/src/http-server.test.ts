import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "@bmi/log";
import { connectRedis, type Redis } from "@bmi/redis";
import { uniquePrefix } from "@bmi/testing";
import { BootConfigs } from "./boot-configs";
import type { BootPhaseReport } from "./boot-phases";
import { RedisBootStore } from "./drivers/redis-store";
import { BootHttpServer } from "./http-server";
import { sample } from "./test-support";

describe("boot HTTP server", () => {
  const prefix = uniquePrefix("boot-http");
  const reports: BootPhaseReport[] = [];
  let redis: Redis;
  let server: BootHttpServer;
  let base: string;

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const configs = new BootConfigs(new RedisBootStore(redis, prefix), silentLogger());
    await configs.set(sample());
    server = new BootHttpServer(configs, { publish: async (r) => { reports.push(r); } },
      { publicUrl: "http://boot.example:8080", attempts: 2, retryDelaySeconds: 1 }, silentLogger());
    base = `http://127.0.0.1:${await server.listen("127.0.0.1:0")}`;
  });
  after(async () => {
    await server.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("serves the generic script with URLs on the Host the node used", async () => {
    const r = await fetch(`${base}/boot.ipxe`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), new RegExp(`imgfetch --name bmi-node ${base}/nodes/`));
  });

  it("serves a provisioned NIC's script and reports it; 404 for unknown MACs and paths", async () => {
    const r = await fetch(`${base}/nodes/52-54-00-00-00-02.ipxe`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /^set password abcdefABCDEF0123-_xy$/m);
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-77.ipxe`)).status, 404);
    assert.equal((await fetch(`${base}/nodes/../../etc/passwd`)).status, 404);
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-02.ipxe`, { method: "POST" })).status, 405);
    assert.deepEqual(reports.map((x) => [x.node, x.mac, x.phase, x.attempt]), [["n1", "52:54:00:00:00:02", "script-served", 0]]);
  });

  it("turns the script's callbacks into boot-attempted and boot-failed phases", async () => {
    reports.length = 0;
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-01/phase/attempted?attempt=1`)).status, 200);
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-01/phase/failed?attempt=2`)).status, 200);
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-77/phase/failed?attempt=1`)).status, 404);
    assert.deepEqual(reports.map((x) => [x.phase, x.attempt, x.project]), [["boot-attempted", 1, "p1"], ["boot-failed", 2, "p1"]]);
  });
});
