import assert from "node:assert/strict";
import { it } from "node:test";
import { KeyedLocks } from "./keyed-locks";

const tick = () => new Promise((r) => setTimeout(r, 5));

it("readers share a key, a writer waits for them and excludes everyone, other keys never wait", async () => {
  const locks = new KeyedLocks();
  const log: string[] = [];
  const op = (name: string, keys: Array<[string, "read" | "write"]>) =>
    locks.with(keys, async () => { log.push(`+${name}`); await tick(); log.push(`-${name}`); });
  await Promise.all([
    op("r1", [["image:a", "read"]]),
    op("r2", [["image:a", "read"]]),
    op("w", [["image:a", "write"]]),
    op("r3", [["image:a", "read"]]),
    op("other", [["image:b", "write"]]),
  ]);
  const at = (e: string) => log.indexOf(e);
  assert.ok(at("+r2") < at("-r1"), "readers overlap");
  assert.ok(at("+w") > at("-r1") && at("+w") > at("-r2"), "the writer waits for the readers");
  assert.ok(at("+r3") > at("-w"), "a later reader waits for the writer");
  assert.ok(at("+other") < at("-r1"), "another key does not wait");
});

it("takes several keys in a fixed order, so crossing operations cannot deadlock", async () => {
  const locks = new KeyedLocks();
  let done = 0;
  await Promise.all([
    locks.with([["disk:x", "write"], ["image:y", "write"]], async () => { await tick(); done++; }),
    locks.with([["image:y", "write"], ["disk:x", "write"]], async () => { await tick(); done++; }),
  ]);
  assert.equal(done, 2);
});
