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

const USER_DATA = "#!/bin/sh\necho hello from user-data\n# a tenant's secret: s3cr3t-token\n";

describe("NoCloud metadata over HTTP: only the node's own address gets it", () => {
  const prefix = uniquePrefix("boot-nocloud");
  const reports: BootPhaseReport[] = [];
  let redis: Redis;
  let configs: BootConfigs;
  let server: BootHttpServer;
  let port = 0;
  const url = (path: string) => `http://127.0.0.1:${port}/nodes/52-54-00-00-00-01${path}`;

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const store = new RedisBootStore(redis, prefix);
    configs = new BootConfigs(store, silentLogger());
    await configs.set(sample({ metadata: { hostname: "web-1.example", userData: USER_DATA } }));
    server = new BootHttpServer(configs, new ScriptBinder(store, { bind: async () => true }, silentLogger(), true),
      { publish: async (r) => { reports.push(r); } }, { publicUrl: "http://boot.example:8080", attempts: 2, retryDelaySeconds: 1 }, silentLogger());
    port = await server.listen("127.0.0.1:0");
  });
  after(() => closeHttpTest(server, redis, prefix));

  it("before the node fetched its script (armed, bound to nobody) nobody gets its metadata", async () => {
    for (const from of ["127.0.0.1", "127.0.0.2"]) {
      assert.deepEqual(await getFrom(from, url("/nocloud/user-data")), { status: 404, body: "no boot config for this MAC\n" });
    }
  });

  it("the node that fetched its script gets meta-data, user-data and network-config, and reports userspace", async () => {
    assert.equal((await getFrom("127.0.0.1", `http://127.0.0.1:${port}/nodes/52-54-00-00-00-01.ipxe`)).status, 200);
    const meta = await getFrom("127.0.0.1", url("/nocloud/meta-data"));
    assert.equal(meta.status, 200);
    assert.equal(meta.body, 'instance-id: "iqn.2026-01.org.example.bmi:p1.d1"\nlocal-hostname: "web-1.example"\nnode: "n1"\nproject: "p1"\n');
    assert.deepEqual(await getFrom("127.0.0.1", url("/nocloud/user-data")), { status: 200, body: USER_DATA });
    assert.deepEqual(await getFrom("127.0.0.1", url("/nocloud/vendor-data")), { status: 200, body: "" });
    assert.match((await getFrom("127.0.0.1", url("/nocloud/network-config"))).body, /macaddress: "52:54:00:00:00:01"/);
    assert.equal((await getFrom("127.0.0.1", url("/nocloud/passwd"))).status, 404);
    reports.length = 0;
    assert.equal((await getFrom("127.0.0.1", url("/phase/userspace"))).status, 200);
    assert.deepEqual(reports.map((r) => [r.node, r.project, r.phase]), [["n1", "p1", "userspace"]]);
  });

  it("attack: another address (another tenant's node) asking with n1's MAC gets 404 and no event", async () => {
    reports.length = 0;
    for (const file of ["meta-data", "user-data", "vendor-data", "network-config"]) {
      const r = await getFrom("127.0.0.2", url(`/nocloud/${file}`));
      assert.deepEqual(r, { status: 404, body: "no boot config for this MAC\n" }, file);
      assert.doesNotMatch(r.body, /s3cr3t|web-1/);
    }
    assert.equal((await getFrom("127.0.0.2", url("/phase/userspace"))).status, 404);
    assert.deepEqual(reports, [], "a forged userspace report from elsewhere is no event");
  });

  it("a node with no metadata set gets its own name as host name and empty user-data; bad metadata is refused", async () => {
    await configs.set(sample());
    assert.equal((await getFrom("127.0.0.1", `http://127.0.0.1:${port}/nodes/52-54-00-00-00-01.ipxe`)).status, 200);
    assert.match((await getFrom("127.0.0.1", url("/nocloud/meta-data"))).body, /^local-hostname: "n1"$/m);
    assert.deepEqual(await getFrom("127.0.0.1", url("/nocloud/user-data")), { status: 200, body: "" });
    await assert.rejects(configs.set({ ...sample(), metadata: { hostname: "bad\nname: x", userData: "" } }), /RFC 1123/);
    await assert.rejects(configs.set({ ...sample(), metadata: { hostname: "-bad", userData: "" } }), /RFC 1123/);
    await assert.rejects(configs.set({ ...sample(), metadata: { hostname: "ok", userData: "x".repeat(64 * 1024 + 1) } }), /at most 65536/);
    assert.equal((await configs.get("n1")).metadata, undefined, "a refused config left the stored one as it was");
  });
});
