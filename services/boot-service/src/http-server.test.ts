import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "@bmi/log";
import { connectRedis, type Redis } from "@bmi/redis";
import { uniquePrefix } from "@bmi/testing";
import { BootConfigs } from "./boot-configs";
import type { BootPhaseReport } from "./boot-phases";
import { RedisBootStore } from "./drivers/redis-store";
import { BootHttpServer } from "./http-server";
import { ScriptBinder } from "./script-binding";
import { closeHttpTest, getFrom, sample } from "./testkit/support";

describe("boot HTTP server", () => {
  const prefix = uniquePrefix("boot-http");
  const reports: BootPhaseReport[] = [];
  const aclCalls: string[] = [];
  let aclFails = false;
  let redis: Redis;
  let configs: BootConfigs;
  let server: BootHttpServer;
  let base: string;
  let port = 0;

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const store = new RedisBootStore(redis, prefix);
    configs = new BootConfigs(store, silentLogger());
    await configs.set(sample());
    const acl = { bind: async (c: { target: { iqn: string } }, address: string) => {
      aclCalls.push(`${c.target.iqn} ${address}`);
      if (aclFails) throw new Error("target-service unavailable");
      return true;
    } };
    server = new BootHttpServer(configs, new ScriptBinder(store, acl, silentLogger(), true), { publish: async (r) => { reports.push(r); } },
      { publicUrl: "http://boot.example:8080", attempts: 2, retryDelaySeconds: 1 }, silentLogger());
    port = await server.listen("127.0.0.1:0");
    base = `http://127.0.0.1:${port}`;
  });
  after(() => closeHttpTest(server, redis, prefix));

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

  it("binds the script and the target's ACL to the first fetch's address; any other gets 404 and an event", async () => {
    // The earlier fetches came from 127.0.0.1 and bound it, once; the node's every fetch from there still works.
    assert.deepEqual(aclCalls, ["iqn.2026-01.org.example.bmi:p1.d1 127.0.0.1"]);
    assert.equal((await getFrom("127.0.0.1", `${base}/nodes/52-54-00-00-00-01.ipxe`)).status, 200);
    reports.length = 0;
    const other = await getFrom("127.0.0.2", `http://127.0.0.1:${port}/nodes/52-54-00-00-00-02.ipxe`);
    assert.deepEqual(other, { status: 404, body: "no boot config for this MAC\n" });
    assert.equal((await getFrom("127.0.0.2", `http://127.0.0.1:${port}/nodes/52-54-00-00-00-02/phase/attempted?attempt=1`)).status, 404);
    assert.deepEqual(reports.map((x) => [x.node, x.mac, x.phase, x.remoteAddress]), [["n1", "52:54:00:00:00:02", "script-refused", "127.0.0.2"]]);
    assert.equal(aclCalls.length, 1);
    assert.equal((await configs.get("n1")).binding?.targetAcl, true);
  });

  it("binds afresh after an arm, and tries the ACL again at the next fetch when target-service failed", async () => {
    const armed = await configs.arm("n1");
    assert.equal(armed.address, "");
    aclFails = true;
    assert.equal((await getFrom("127.0.0.2", `http://127.0.0.1:${port}/nodes/52-54-00-00-00-01.ipxe`)).status, 200);
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-01.ipxe`)).status, 404);
    const bound = (await configs.get("n1")).binding;
    assert.equal(bound?.address, "127.0.0.2");
    assert.equal(bound?.targetAcl, false);
    aclFails = false;
    assert.equal((await getFrom("127.0.0.2", `http://127.0.0.1:${port}/nodes/52-54-00-00-00-01.ipxe`)).status, 200);
    assert.deepEqual(aclCalls.slice(1), ["iqn.2026-01.org.example.bmi:p1.d1 127.0.0.2", "iqn.2026-01.org.example.bmi:p1.d1 127.0.0.2"]);
    assert.equal((await configs.get("n1")).binding?.targetAcl, true);
    // A new config (a provision) arms too.
    await configs.set(sample());
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-01.ipxe`)).status, 200);
    assert.equal((await configs.get("n1")).binding?.address, "127.0.0.1");
  });

  it("a node address flooding refused fetches or callbacks gets answers but no more than its burst of events", async () => {
    const before = reports.length;
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 100 }, () => getFrom("127.0.0.3", `http://127.0.0.1:${port}/nodes/52-54-00-00-00-01.ipxe`)));
    assert.ok(answers.every((r) => r.status === 404));
    const events = reports.length - before;
    // The burst (20), plus what the rate (5/s) gives back while the 100 fetches last: on a loaded machine they take
    // seconds, and the bucket refills meanwhile; without a limit there would be 100.
    const allowed = 20 + Math.ceil(((Date.now() - started) / 1000) * 5);
    assert.ok(events >= 1 && events <= allowed, `${events} events for 100 refused fetches (at most ${allowed} allowed)`);
    assert.equal((await fetch(`${base}/nodes/52-54-00-00-00-01.ipxe`)).status, 200, "the bound node still gets its script");
  });

  it("refuses a script armed too long ago and never fetched (BMI_BOOT_ARM_TTL_S) until it is armed again", async () => {
    // A node provisioned and not powered on: its script waits armed, and whoever fetches it first would win it and
    // the target's ACL. After the TTL nothing binds it; the next arm (the power step's) opens it again.
    const binder = new ScriptBinder(new RedisBootStore(redis, prefix), { bind: async () => true }, silentLogger(), true, 3000);
    await configs.arm("n1");
    await new Promise((r) => setTimeout(r, 3100));
    assert.equal(await binder.admit(await configs.get("n1"), "127.0.0.9"), false, "an arming older than the TTL binds nothing");
    assert.equal((await configs.get("n1")).binding?.address, "");
    await configs.arm("n1");
    assert.equal(await binder.admit(await configs.get("n1"), "127.0.0.9"), true, "armed again: the first fetch binds it");
    assert.equal((await configs.get("n1")).binding?.address, "127.0.0.9");
    await new Promise((r) => setTimeout(r, 3100));
    assert.equal(await binder.admit(await configs.get("n1"), "127.0.0.9"), true, "a bound script does not expire: its node reboots from it");
    assert.equal(await binder.admit(await configs.get("n1"), "127.0.0.8"), false, "and no one else gets it");
  });
});
