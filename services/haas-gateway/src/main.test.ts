import path from "node:path";
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createClient } from "@bmi/grpc";
import { HaasGatewayClient, NodeFilter } from "@bmi/proto/bmi/haas/v1/haas";
import { connectRedis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { REPO_ROOT, freePort, startService, testClientTls, uniquePrefix, type RunningService } from "@bmi/testing";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

describe("haas-gateway process", () => {
  let svc: RunningService | undefined;
  const prefix = uniquePrefix("haas-main");
  after(async () => {
    await svc?.stop(5000);
    const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("starts with no configuration: standalone, empty inventory, says it does not isolate", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    // Only the listen address and the key prefix differ from the defaults, so tests never meet a running stack.
    svc = await startService({ service: "haas-gateway", main: serviceMain("haas-gateway"), address, env: { BMI_HAAS_LISTEN: address, BMI_REDIS_PREFIX: prefix } });
    const client = createClient(HaasGatewayClient, address, { deadlineMs: 5000, tls: testClientTls() });
    try {
      const res = await client.listNodes({ filter: NodeFilter.NODE_FILTER_ALL, project: "" });
      assert.deepEqual(res.nodes, []);
      assert.match(res.notice, /no VLAN isolation/);
    } finally {
      client.close();
    }
    // SIGTERM: exit 0 once in-flight calls are done; 30 s before the kill, since a loaded CI machine is slow to exit.
    assert.equal(await svc.stop(30_000), 0);
  });
});
