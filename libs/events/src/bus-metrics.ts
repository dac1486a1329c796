import { counter, gauge } from "@bmi/metrics";
import type { Redis } from "ioredis";

/**
 * Events published, by path: direct (to JetStream at once), outbox (kept in Redis), flushed (sent from the
 * outbox), relay (the orchestrator's job and node events, sent from its job store's own queue).
 */
export const eventsPublished = counter("bmi_events_published_total", "events published, by path: direct, outbox, flushed, relay", ["path"]);

const outboxes = new Map<string, Redis>();

/** Events waiting in each open bus's outbox, read from Redis when Prometheus scrapes. */
gauge("bmi_events_outbox_depth", "events waiting in the Redis outbox for NATS", ["outbox"], async (g) => {
  g.reset();
  await Promise.all([...outboxes].map(async ([key, redis]) => {
    const n = await redis.llen(key).catch(() => undefined);
    if (n !== undefined) g.set({ outbox: key }, n);
  }));
});

/** Watches an outbox's depth until the function it answers is called. */
export function watchOutbox(key: string, redis: Redis): () => void {
  outboxes.set(key, redis);
  return () => outboxes.delete(key);
}
