import { it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { deleteKeys } from "./keys";

it("deleteKeys removes every key under the prefix, through several SCAN steps, and nothing else", async (t) => {
  const redis = new Redis("redis://127.0.0.1:6379");
  t.after(() => redis.disconnect());
  const prefix = `test:keys:${randomBytes(4).toString("hex")}:`;
  const other = `${prefix.slice(0, -1)}-other:`;
  const batch = redis.pipeline();
  for (let i = 0; i < 2500; i++) batch.set(`${prefix}${i}`, "x");
  batch.set(`${other}kept`, "y");
  await batch.exec();
  assert.equal(await deleteKeys(redis, prefix), 2500);
  assert.deepEqual(await redis.keys(`${prefix}*`), []);
  assert.equal(await redis.get(`${other}kept`), "y");
  assert.equal(await deleteKeys(redis, other), 1);
});
