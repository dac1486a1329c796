import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "@bmi/config";
import { advertisedPortals, targetSpec } from "./config";
import { chapSecret } from "./credentials";
import { chapUser, isChapUser, ownsIqn, targetIqn, validateBacking } from "./naming";

const auth = { date: "2026-01", domain: "org.example.bmi" };

describe("target naming, secrets and config", () => {
  it("makes IQNs iqn.<yyyy-mm>.<domain>:<project>.<disk> and recognises its own whatever the date", () => {
    assert.equal(targetIqn(auth, "proj", "disk-1"), "iqn.2026-01.org.example.bmi:proj.disk-1");
    assert.ok(ownsIqn(auth, "iqn.2019-07.org.example.bmi:x.y"));
    assert.ok(!ownsIqn(auth, "iqn.2026-01.org.example.bmi.other:x.y"));
    assert.ok(!ownsIqn(auth, "iqn.2026-01.com.other:x.y"));
  });

  it("gives every target a stable CHAP user and a fresh 144-bit secret safe for tgtadm, iPXE and URLs", () => {
    assert.equal(chapUser("p", "d"), chapUser("p", "d"));
    assert.notEqual(chapUser("p", "d"), chapUser("p", "e"));
    assert.ok(isChapUser(chapUser("p", "d")));
    const secrets = new Set(Array.from({ length: 100 }, chapSecret));
    assert.equal(secrets.size, 100);
    for (const s of secrets) assert.match(s, /^[A-Za-z0-9_-]{24}$/);
  });

  it("refuses backings that would not survive tgtadm's key=value parameters", () => {
    assert.throws(() => validateBacking({ kind: "file", path: "relative.raw" }), { code: "INVALID_ARGUMENT" });
    assert.throws(() => validateBacking({ kind: "file", path: "/a,b=c" }), { code: "INVALID_ARGUMENT" });
    assert.throws(() => validateBacking({ kind: "file", path: "/a/../etc/shadow" }), { code: "INVALID_ARGUMENT" });
    assert.throws(() => validateBacking({ kind: "rbd", pool: "rbd", image: "Bad;Image", cephConf: "/etc/ceph/ceph.conf", user: "admin" }), { code: "INVALID_ARGUMENT" });
    validateBacking({ kind: "rbd", pool: "rbd", image: "p1.d1", cephConf: "/etc/ceph/ceph.conf", user: "admin" });
    // image-service's ceph driver names a node's disk disk~<project>~<name>
    validateBacking({ kind: "rbd", pool: "rbd", image: "disk~p1~node-1", cephConf: "/etc/ceph/ceph.conf", user: "admin" });
  });

  it("starts with no configuration at all, and lists every bad setting", () => {
    const cfg = loadConfig(targetSpec, {});
    assert.equal(cfg.listen, "127.0.0.1:50052");
    assert.deepEqual(advertisedPortals(cfg), ["127.0.0.1:3260"]);
    assert.equal(cfg.tgtdControlPort, 7);
    assert.throws(() => loadConfig(targetSpec, { BMI_TARGET_IQN_DATE: "2026-13", BMI_TARGET_PORTALS: "nohost", BMI_TARGET_IQN_DOMAIN: "Example" }),
      (err: unknown) => (err as { problems: string[] }).problems.length === 3);
  });
});
