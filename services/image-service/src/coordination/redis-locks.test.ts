import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "@bmi/log";
import { Redis } from "@bmi/redis";
import { RedisLocks } from "./redis-locks";

describe("Redis locks when Redis is gone", () => {
  // Nothing listens on port 1, and a command is refused at once instead of queued until Redis comes back.
  const down = new Redis({ host: "127.0.0.1", port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  const locks = new RedisLocks(down, { prefix: "bmitest-locks-down:", instance: "i1", leaseMs: 1000, log: silentLogger() });
  after(() => { locks.close(); down.disconnect(); });

  it("taking a lock answers UNAVAILABLE (callers retry), not the INTERNAL an ioredis error would become; the operation never runs", async () => {
    let ran = false;
    await assert.rejects(locks.with([["disk:p1/d1", "write"]], async () => { ran = true; }),
      (err: Error & { code?: string }) => err.code === "UNAVAILABLE" && /^redis: lock disk:p1\/d1: /.test(err.message));
    assert.equal(ran, false);
  });
});
