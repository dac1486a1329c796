import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { readInventory } from "./inventory-file";
import { validateNodeUpdate } from "./node-spec";

test("capabilities are whole numbers, a rack and accelerators are names; labels are free-form; empty removes", () => {
  const ok = validateNodeUpdate({ name: "n1", metadata: { cpus: "64", memory_gib: "512", disk_gib: "0", nic_gbps: "25", gpus: "2",
    rack: "r12", accelerators: "a100,h100", gpu: "true", "tier.class": "gold weird value", cpus_old: "" } });
  assert.equal(ok.metadata["cpus"], "64");
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ cpus: "many" }, /capability cpus must be a whole number, not "many"/],
    [{ memory_gib: "-1" }, /capability memory_gib must be a whole number/],
    [{ gpus: "1.5" }, /capability gpus must be a whole number/],
    [{ nic_gbps: "0100" }, /capability nic_gbps must be a whole number/],
    [{ rack: "a b" }, /rack "a b" is not a name/],
    [{ rack: "-r1" }, /rack "-r1" is not a name/],
    [{ accelerators: "a100,,h100" }, /accelerators "a100,,h100": names separated by commas/],
    [{ "bad key": "x" }, /metadata key "bad key" is invalid/],
  ];
  for (const [metadata, re] of bad) assert.throws(() => validateNodeUpdate({ name: "n1", metadata }), { code: "INVALID_ARGUMENT", message: re });
  // Removing a capability (empty value) is always allowed.
  assert.equal(validateNodeUpdate({ name: "n1", metadata: { cpus: "" } }).metadata["cpus"], "");
});

test("the standalone inventory takes capabilities and labels beside metadata, and checks them", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bmi-inventory-"));
  try {
    const good = path.join(dir, "good.yaml");
    writeFileSync(good, [
      "nodes:",
      "  - name: n1",
      "    nics: {eth0: '52:54:00:12:34:56'}",
      "    metadata: {owner: lab}",
      "    capabilities: {cpus: 32, memory_gib: 256, rack: r1, accelerators: a100}",
      "    labels: {gpu: true}",
    ].join("\n"));
    assert.deepEqual(readInventory(good)[0]!.metadata, { owner: "lab", cpus: "32", memory_gib: "256", rack: "r1", accelerators: "a100", gpu: "true" });
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, "nodes:\n  - {name: n2, nics: {}, capabilities: {cpus: lots}}\n");
    assert.throws(() => readInventory(bad), /node #1: capability cpus must be a whole number, not "lots"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
