import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chapUser, storeMarkerId, storeMarkerIqn, targetIqn, targetNames } from "./naming";
import { compare, judgeStore } from "./store-check";
import type { LiveTarget, TargetSpec } from "./target";

const auth = { date: "2026-01", domain: "org.example.bmi" };

function live(tid: number, project: string, disk: string): LiveTarget {
  return { tid, iqn: targetIqn(auth, project, disk), lun1: { type: "rdwr", path: `/d/${disk}` }, initiators: ["iqn.2026-01.x:n"],
    accounts: [chapUser(project, disk)], sessions: 1 };
}
function spec(t: LiveTarget, project: string, disk: string): TargetSpec {
  return { project, disk, iqn: t.iqn, tid: t.tid, initiatorIqn: "iqn.2026-01.x:n", chapUser: t.accounts[0] ?? "", chapSecret: "s",
    backing: { kind: "file", path: t.lun1?.path ?? "" }, created: "" };
}
const marker = (id: string): LiveTarget => ({ tid: 2147483647, iqn: storeMarkerIqn(auth, id), initiators: [], accounts: [], sessions: 0 });

describe("store check: deleting only on the word of the store tgtd was built from", () => {
  const a = live(1, "p", "a");
  const foreign: LiveTarget = { ...live(2, "p", "b"), iqn: "iqn.2020-01.com.other:keep" };

  it("follows the store its marker names; binds when nothing would be deleted", () => {
    const seen = compare(auth, [a, foreign, marker("s1")], [spec(a, "p", "a")]);
    assert.deepEqual(seen.marker, { tid: 2147483647, storeId: "s1" });
    assert.deepEqual(seen.live.map((t) => t.tid), [1, 2]);
    assert.deepEqual(judgeStore("s1", seen, "bmi:target:"), { kind: "follow", id: "s1" });
    // A fresh or restarted tgtd (no marker), a flushed store against an empty tgtd: nothing to lose.
    assert.equal(judgeStore(undefined, compare(auth, [foreign], []), "x").kind, "bind");
    assert.equal(judgeStore("s2", compare(auth, [a], [spec(a, "p", "a")]), "x").kind, "bind");
  });

  it("refuses an empty, unmarked or foreign store that would delete targets, and says which", () => {
    const problem = (id: string | undefined, all: LiveTarget[]) => {
      const v = judgeStore(id, compare(auth, all, []), "bmi:target:");
      return v.kind === "refuse" ? v.problem : v.kind;
    };
    assert.match(problem(undefined, [a, marker("s1")]), /is empty .*flushed or lost, or BMI_REDIS_PREFIX changed/);
    assert.match(problem("s2", [a, marker("s1")]), /is s2 but tgtd's targets were made from store s1/);
    assert.match(problem("s2", [a]), /tgtd has no store marker/);
    // A target that differs from its spec would be replaced: that deletes too.
    const moved = { ...a, lun1: { type: "rdwr", path: "/d/other" } };
    assert.equal(compare(auth, [moved, marker("s1")], [spec(a, "p", "a")]).doomed[0]?.reason, "differs from its spec");
  });

  it("reads project and disk back from an IQN with the CHAP user tgtd bound to it", () => {
    assert.deepEqual(targetNames(auth, targetIqn(auth, "a.b", "c"), chapUser("a.b", "c")), { project: "a.b", disk: "c" });
    assert.deepEqual(targetNames(auth, targetIqn(auth, "a", "b.c"), chapUser("a", "b.c")), { project: "a", disk: "b.c" });
    assert.equal(targetNames(auth, targetIqn(auth, "a", "b.c"), chapUser("x", "y")), undefined);
    assert.equal(storeMarkerId(auth, storeMarkerIqn(auth, "0123")), "0123");
    assert.equal(storeMarkerId(auth, targetIqn(auth, "bmi-store", "x")), undefined);
  });
});
