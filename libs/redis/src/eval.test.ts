import { it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { evalLua } from "./eval";

it("evalLua sends a script's text once (on NOSCRIPT) and its SHA after that; errors are Redis' own", async (t) => {
  const redis = new Redis("redis://127.0.0.1:6379");
  t.after(() => redis.disconnect());
  // A script no one ran before: Redis does not know its SHA yet.
  const lua = `-- ${randomBytes(8).toString("hex")}\nreturn {KEYS[1], ARGV[1]}`;
  const sent = { eval: 0, evalsha: 0 };
  for (const m of ["eval", "evalsha"] as const) {
    const real = redis[m].bind(redis) as (...a: unknown[]) => Promise<unknown>;
    (redis as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => { sent[m]++; return real(...a); };
  }
  for (let i = 0; i < 5; i++) assert.deepEqual(await evalLua(redis, lua, 1, "k", String(i)), ["k", String(i)]);
  assert.deepEqual(sent, { eval: 1, evalsha: 5 }, "one EVAL after the first EVALSHA's NOSCRIPT, then EVALSHA only");
  await assert.rejects(evalLua(redis, "return redis.error_reply('NOT_FOUND no such thing')", 0), /NOT_FOUND no such thing/);
});
