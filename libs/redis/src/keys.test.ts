import { it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { deleteKeys, hsetIfField } from "./keys";

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

it("hsetIfField sets a field only while the guard hash holds it (the guard may be the hash itself)", async (t) => {
  const redis = new Redis("redis://127.0.0.1:6379");
  const prefix = `test:hset-if:${randomBytes(4).toString("hex")}:`;
  t.after(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });
  const [guard, key] = [`${prefix}guard`, `${prefix}key`];
  assert.equal(await hsetIfField(redis, guard, key, "n1", "a"), false);
  assert.equal(await redis.exists(key), 0);
  await redis.hset(guard, "n1", "x");
  assert.equal(await hsetIfField(redis, guard, key, "n1", "a"), true);
  assert.equal(await redis.hget(key, "n1"), "a");
  assert.equal(await hsetIfField(redis, key, key, "n1", "b"), true);
  assert.equal(await hsetIfField(redis, key, key, "n2", "b"), false);
  assert.deepEqual(await redis.hgetall(key), { n1: "b" });
});
