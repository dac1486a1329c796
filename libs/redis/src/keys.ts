import type { Redis } from "ioredis";
import { evalLua } from "./eval";
import { loadLua } from "./load-lua";

/**
 * Deletes every key under `prefix` (tests and benches each run under a prefix of their own). SCAN, not KEYS, so a
 * large store is walked in steps without blocking Redis for other clients.
 */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

const HSET_IF_FIELD = loadLua(__dirname, "lua/hset-if-field");

/**
 * HSET `key` `field` `value`, in one script, only while the hash `guard` holds `field` (it may be `key` itself: a
 * replace that never re-creates a field removed meanwhile). Answers whether it was set.
 */
export async function hsetIfField(redis: Redis, guard: string, key: string, field: string, value: string): Promise<boolean> {
  return (await evalLua(redis, HSET_IF_FIELD, 2, guard, key, field, value)) === 1;
}
