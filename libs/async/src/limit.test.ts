import { it } from "node:test";
import assert from "node:assert/strict";
import { eachLimit, mapLimit, Semaphore } from "./limit";
import { sleep } from "./until";

/** A probe that records how many calls overlap at most. */
function probe() {
  let active = 0;
  const seen = { max: 0, calls: 0 };
  const run = async <T>(v: T, ms: number): Promise<T> => {
    active++;
    seen.calls++;
    seen.max = Math.max(seen.max, active);
    await sleep(ms);
    active--;
    return v;
  };
  return { seen, run };
}

it("mapLimit keeps the order of the results and never has more than `limit` calls in flight", async () => {
  const { seen, run } = probe();
  const items = Array.from({ length: 20 }, (_, i) => i);
  // Later items finish first: the order must come from the index, not from completion.
  const out = await mapLimit(items, 4, (n, i) => run(`${n}@${i}`, 20 - n));
  assert.deepEqual(out, items.map((n) => `${n}@${n}`));
  assert.equal(seen.max, 4);
  assert.equal(seen.calls, 20);
});

it("mapLimit with fewer items than the limit runs them all at once; with none answers []", async () => {
  const { seen, run } = probe();
  assert.deepEqual(await mapLimit([1, 2, 3], 8, (n) => run(n * 2, 5)), [2, 4, 6]);
  assert.equal(seen.max, 3);
  assert.deepEqual(await mapLimit([], 8, async () => assert.fail("called")), []);
});

it("mapLimit rejects with the first failure, and refuses a limit below 1", async () => {
  await assert.rejects(mapLimit([1, 2, 3, 4], 2, async (n) => {
    await sleep(1);
    if (n === 2) throw new Error("two");
    return n;
  }), /two/);
  await assert.rejects(mapLimit([1], 0, async (n) => n), RangeError);
});

it("eachLimit visits every item once, `limit` at a time", async () => {
  const { seen, run } = probe();
  const visited: number[] = [];
  await eachLimit([5, 6, 7, 8, 9], 2, async (n) => { visited.push(await run(n, 3)); });
  assert.deepEqual(visited.sort(), [5, 6, 7, 8, 9]);
  assert.equal(seen.max, 2);
});

it("Semaphore admits `limit` runs at once, in arrival order, and frees the slot of a run that throws", async () => {
  const sem = new Semaphore(2);
  const { seen, run } = probe();
  const started: number[] = [];
  const runs = Array.from({ length: 6 }, (_, i) => sem.run(async () => {
    started.push(i);
    if (i === 1) throw new Error("one");
    return run(i, 5);
  }));
  assert.deepEqual(sem.stats, { active: 2, waiting: 4 });
  const settled = await Promise.allSettled(runs);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.equal(settled.filter((s) => s.status === "rejected").length, 1);
  assert.ok(seen.max <= 2);
  assert.deepEqual(sem.stats, { active: 0, waiting: 0 });
  assert.throws(() => new Semaphore(0), RangeError);
});

it("Semaphore: a waiter whose signal aborts leaves the queue, and its slot is not lost", async () => {
  const gate = new Semaphore(1);
  let release!: () => void;
  const first = gate.run(() => new Promise<void>((r) => (release = r)));
  const ac = new AbortController();
  const given = gate.run(async () => "given up", ac.signal);
  const after = gate.run(async () => "after");
  assert.deepEqual(gate.stats, { active: 1, waiting: 2 });
  ac.abort(new Error("deadline"));
  await assert.rejects(given, /deadline/);
  assert.deepEqual(gate.stats, { active: 1, waiting: 1 });
  release();
  await first;
  assert.equal(await after, "after");
  assert.deepEqual(gate.stats, { active: 0, waiting: 0 });
  // Already aborted while the slot is busy: refused at once, nothing queued.
  const busy = gate.run(() => sleep(20));
  await assert.rejects(gate.run(async () => 1, AbortSignal.abort(new Error("gone"))), /gone/);
  assert.equal(gate.stats.waiting, 0);
  await busy;
});
