import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A random id a service writes once under its key prefix and records beside the state it drives outside Redis
 * (tgtd's targets, a dnsmasq hosts file). A store that comes back empty (flushed, or lost without persistence) has
 * no id, another stack's prefix has another one: either way the service learns that the store is not the one the
 * outside state was built from, and must not delete that state on its word.
 */
export class StoreIdentity {
  constructor(private readonly redis: Redis, readonly key: string) {}

  /** The store's id; undefined when it has none (never claimed, flushed, or a new prefix). */
  async get(): Promise<string | undefined> {
    return (await this.redis.get(this.key)) ?? undefined;
  }

  /** Gives the store an id unless it has one; answers the id it has. */
  async claim(): Promise<string> {
    await this.redis.set(this.key, randomBytes(8).toString("hex"), "NX");
    const id = await this.get();
    if (id === undefined) throw new Error(`${this.key} vanished right after it was set`);
    return id;
  }
}
