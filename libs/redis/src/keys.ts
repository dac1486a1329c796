import type { Redis } from "ioredis";

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

const HSET_IF_FIELD = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`;

/**
 * HSET `key` `field` `value`, in one script, only while the hash `guard` holds `field` (it may be `key` itself: a
 * replace that never re-creates a field removed meanwhile). Answers whether it was set.
 */
export async function hsetIfField(redis: Redis, guard: string, key: string, field: string, value: string): Promise<boolean> {
  return (await redis.eval(HSET_IF_FIELD, 2, guard, key, field, value)) === 1;
}
