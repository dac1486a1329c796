import { test } from "node:test";
import assert from "node:assert/strict";
import { AddressLimiter } from "./address-limiter";

test("each address gets its burst, then its rate; others are not affected; memory stays bounded", () => {
  let now = 0;
  const l = new AddressLimiter(2, 5, 100, () => now);
  const takes = (addr: string, n: number) => Array.from({ length: n }, () => l.take(addr)).filter(Boolean).length;
  assert.equal(takes("10.0.0.1", 20), 5, "the burst");
  assert.equal(takes("10.0.0.2", 3), 3, "another address has its own bucket");
  now += 1000;
  assert.equal(takes("10.0.0.1", 20), 2, "two tokens a second");
  now += 60_000;
  assert.equal(takes("10.0.0.1", 20), 5, "never more than the burst");
  for (let i = 0; i < 1000; i++) l.take(`10.1.${i >> 8}.${i & 255}`);
  assert.ok((l as unknown as { buckets: Map<string, unknown> }).buckets.size <= 100);
});
