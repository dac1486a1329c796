import { it } from "node:test";
import assert from "node:assert/strict";
import { macHexHyp, plainAddress, validateAddress, validateIqn, validateMac, validateName } from "./index";

it("accepts BMI names and refuses anything that could escape a path, a command line or an IQN", () => {
  for (const ok of ["a", "ubuntu-22.04", "node_1", "0abc", "x".repeat(63)]) assert.equal(validateName("image", ok), ok);
  for (const bad of ["", "-rf", ".hidden", "A", "a/b", "a b", "a;b", "../etc", "a..b", "x".repeat(64), "é"]) {
    assert.throws(() => validateName("image", bad), { code: "INVALID_ARGUMENT" }, bad);
  }
});

it("normalizes MAC addresses and refuses malformed ones", () => {
  assert.equal(validateMac("52:54:00:AB:cd:01"), "52:54:00:ab:cd:01");
  assert.equal(validateMac("52-54-00-ab-cd-01"), "52:54:00:ab:cd:01");
  assert.equal(macHexHyp("52:54:00:AB:cd:01"), "52-54-00-ab-cd-01");
  for (const bad of ["52:54:00:ab:cd", "52:54-00:ab:cd:01", "zz:54:00:ab:cd:01", ""]) {
    assert.throws(() => validateMac(bad), { code: "INVALID_ARGUMENT" }, bad);
  }
});

it("validates IQNs", () => {
  assert.equal(validateIqn("initiator", "iqn.2026-11.org.moc.bmi:proj.node1"), "iqn.2026-11.org.moc.bmi:proj.node1");
  for (const bad of ["iqn.26-11.org:x", "eui.02004567A425678D", "iqn.2026-11.org.moc:a b", "iqn.2026-11.-bad:x"]) {
    assert.throws(() => validateIqn("initiator", bad), { code: "INVALID_ARGUMENT" }, bad);
  }
});

it("reads peer addresses plainly and refuses what is not an IP address", () => {
  assert.equal(plainAddress("::ffff:10.0.2.15"), "10.0.2.15");
  assert.equal(plainAddress("FD00::1"), "fd00::1");
  assert.equal(validateAddress("address", "::FFFF:127.0.0.1"), "127.0.0.1");
  assert.equal(validateAddress("address", "fd77:1::5"), "fd77:1::5");
  for (const bad of ["", "10.0.0.1:3260", "10.0.0.1,initiator-name=x", "host.example", "10.0.0.0/8", "ALL"]) {
    assert.throws(() => validateAddress("address", bad), { code: "INVALID_ARGUMENT" });
  }
});
