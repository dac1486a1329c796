import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "@bmi/log";
import { connectRedis, type Redis } from "@bmi/redis";
import { uniquePrefix } from "@bmi/testing";
import { Gateway } from "../gateway";
import { basicScope } from "../testkit/scopes";
import { StandaloneDriver } from "./standalone";

// A BMC that never answers: the stand-in ipmitool waits as the real one does for an unreachable address (~20 s).
const SILENT_BMC = "#!/bin/sh\nexec sleep 30\n";

describe("standalone driver with a BMC that never answers", () => {
  let redis: Redis;
  let prefix: string;
  let dir: string;
  let gw: Gateway;
  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    prefix = uniquePrefix("haas-power");
    dir = mkdtempSync(path.join(tmpdir(), "bmi-silent-bmc-"));
    const ipmitool = path.join(dir, "ipmitool");
    writeFileSync(ipmitool, SILENT_BMC);
    chmodSync(ipmitool, 0o755);
    gw = new Gateway(new StandaloneDriver({ redis, prefix, log: silentLogger(), ipmitool }));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("answers UNAVAILABLE before the call's deadline, for power and for release", async () => {
    const admin = basicScope("root", "x", { admin: true });
    await gw.register(admin, { name: "n1", nics: [], metadata: {}, power: { kind: "ipmi", host: "127.0.0.1", user: "u", password: "p" } });
    await gw.allocate(admin, "p1", "n1");
    for (const call of [
      (s: typeof admin) => gw.power(s, "p1", "n1", "cycle"),
      (s: typeof admin) => gw.powerStatus(s, "p1", "n1"),
      (s: typeof admin) => gw.release(s, "p1", "n1"),
    ]) {
      const t0 = Date.now();
      await assert.rejects(call({ ...admin, deadline: t0 + 1000 }), { code: "UNAVAILABLE", message: /no answer within/ });
      assert.ok(Date.now() - t0 < 1000, `answered after ${Date.now() - t0} ms`);
    }
  });
});
