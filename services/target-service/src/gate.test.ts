import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Gate } from "./gate";

describe("gate", () => {
  it("overlaps changes of different targets, orders those of one target, and runs a pass alone", async () => {
    const gate = new Gate();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
    };
    const all = [
      gate.shared("a", step("a1", 30)),
      gate.shared("b", step("b1", 10)),
      gate.shared("a", step("a2", 10)),
      gate.exclusive(step("pass", 10)),
      gate.shared("b", step("b2", 10)),
    ];
    await Promise.all(all);
    assert.deepEqual(log, ["a1+", "b1+", "b1-", "a1-", "a2+", "a2-", "pass+", "pass-", "b2+", "b2-"]);
  });

  it("keeps going after a failure", async () => {
    const gate = new Gate();
    await assert.rejects(gate.shared("a", async () => { throw new Error("boom"); }), /boom/);
    await assert.rejects(gate.exclusive(async () => { throw new Error("bang"); }), /bang/);
    assert.equal(await gate.shared("a", async () => 1), 1);
    assert.equal(await gate.exclusive(async () => 2), 2);
  });
});
