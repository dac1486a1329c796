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
