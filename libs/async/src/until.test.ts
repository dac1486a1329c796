import { it } from "node:test";
import assert from "node:assert/strict";
import { until } from "./until";

it("until answers the first truthy value and asks again until then", async () => {
  let n = 0;
  const v = await until("n to reach 3", () => (++n >= 3 ? { n } : false), 1000, 1);
  assert.deepEqual(v, { n: 3 });
  assert.equal(n, 3);
});

it("until gives up after timeoutMs with a message naming what it waited for, asked at the end", async () => {
  let asked = 0;
  const t0 = Date.now();
  await assert.rejects(until(() => `the door (asked ${++asked} time)`, async () => undefined, 60, 10),
    /^Error: timed out after 60 ms waiting for the door \(asked 1 time\)$/);
  assert.ok(Date.now() - t0 >= 60);
});

it("until ends on a throw from fn; a caller that means 'not yet' catches it in fn", async () => {
  await assert.rejects(until("x", () => { throw new Error("boom"); }), /boom/);
  let n = 0;
  const starting = async () => {
    if (++n < 3) throw new Error("starting");
    return "up";
  };
  assert.equal(await until("x", () => starting().catch(() => false), 1000, 1), "up");
});
