import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "@bmi/log";
import { connectRedis, type Redis } from "@bmi/redis";
import { uniquePrefix } from "@bmi/testing";
import { Gateway } from "../gateway";
import { readInventory } from "../inventory-file";
import { basicScope } from "../testkit/scopes";
import { StandaloneDriver } from "./standalone";

const admin = basicScope("root", "x", { admin: true });
const alice = basicScope("alice", "x", { projects: ["proj-a"] });
const bob = basicScope("bob", "x", { projects: ["proj-b"] });

describe("standalone driver on real Redis, with a QEMU node", () => {
  let redis: Redis;
  let prefix: string;
  let dir: string;
  let qmpSocket: string;
  let qemu: ChildProcess | undefined;
  let driver: StandaloneDriver;
  let gw: Gateway;
  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    prefix = uniquePrefix("haas");
    dir = mkdtempSync(path.join(tmpdir(), "bmi-standalone-"));
    qmpSocket = path.join(dir, "vm1.qmp");
    qemu = spawn("qemu-system-x86_64", ["-machine", "none", "-nodefaults", "-display", "none", "-qmp", `unix:${qmpSocket},server,nowait`],
      { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(qmpSocket); i++) await new Promise((r) => setTimeout(r, 50));
    driver = new StandaloneDriver({ redis, prefix, log: silentLogger() });
    gw = new Gateway(driver);
  });
  after(async () => {
    if (qemu?.pid !== undefined && qemu.exitCode === null) process.kill(qemu.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("registers nodes and refuses duplicates, bad MACs and non-admins", async () => {
    const vm1 = await gw.register(admin, {
      name: "vm1", nics: [{ label: "eth0", mac: "52:54:00:BB:00:01" }], power: { kind: "qemu", qmpSocket }, metadata: { kind: "vm" },
    });
    assert.deepEqual(vm1.nics, [{ label: "eth0", mac: "52:54:00:bb:00:01", networks: {} }]);
    assert.equal(vm1.powerDriver, "qemu");
    await gw.register(admin, { name: "bare1", nics: [{ label: "eth0", mac: "52:54:00:bb:00:02" }], metadata: {} });
    await assert.rejects(gw.register(admin, { name: "vm1", nics: [], metadata: {} }), { code: "ALREADY_EXISTS", message: /vm1 is already registered/ });
    await assert.rejects(gw.register(admin, { name: "vm2", nics: [{ label: "eth0", mac: "52-54-00-bb-00-01" }], metadata: {} }),
      { code: "ALREADY_EXISTS", message: /52:54:00:bb:00:01 is already registered on node vm1/ });
    await assert.rejects(gw.register(admin, { name: "vm2", nics: [{ label: "eth0", mac: "52:54:00:bb:00" }], metadata: {} }),
      { code: "INVALID_ARGUMENT", message: /MAC address/ });
    await assert.rejects(gw.register(alice, { name: "vm2", nics: [], metadata: {} }), { code: "PERMISSION_DENIED", message: /admin/ });
    await assert.rejects(gw.register(admin, { name: "vm2", nics: [], metadata: {}, power: { kind: "obmd", uri: "http://o/n", adminToken: "t" } }),
      { code: "INVALID_ARGUMENT", message: /ipmi or qemu/ });
  });

  it("lets exactly one of two racing registrations have a MAC", async () => {
    const mac = "52:54:00:bb:00:99";
    const results = await Promise.allSettled(["race1", "race2", "race3"].map((name) =>
      gw.register(admin, { name, nics: [{ label: "eth0", mac }], metadata: {} })));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const winner = (await gw.listNodes(admin, { kind: "all" })).find((n) => n.nics.some((nic) => nic.mac === mac));
    assert.ok(winner);
    await gw.unregister(admin, winner.name);
  });

  it("allocates, records networks without isolation, powers through QMP and releases", async () => {
    assert.equal(gw.isolated, false);
    assert.match(gw.notice, /no VLAN isolation/);
    assert.equal(await gw.allocate(alice, "proj-a", "vm1"), true);
    await assert.rejects(gw.allocate(bob, "proj-b", "vm1"), { code: "FAILED_PRECONDITION", message: /not free/ });
    const change = { project: "proj-a", node: "vm1", nic: "eth0", network: "prov" };
    assert.equal(await gw.connectNetwork(alice, change), true);
    assert.equal(await gw.connectNetwork(alice, change), false);
    await assert.rejects(gw.connectNetwork(bob, { ...change, project: "proj-b" }), { code: "NOT_FOUND" });
    assert.deepEqual((await gw.getNode(alice, "vm1")).nics[0]?.networks, { "vlan/native": "prov" });
    assert.deepEqual((await gw.listNodes(alice, { kind: "project", project: "proj-a" })).map((n) => n.name), ["vm1"]);

    await gw.power(alice, "proj-a", "vm1", "cycle", true);
    assert.equal(await gw.powerStatus(alice, "proj-a", "vm1"), "on");
    await assert.rejects(gw.unregister(admin, "vm1"), { code: "FAILED_PRECONDITION", message: /allocated to project proj-a/ });

    await gw.release(alice, "proj-a", "vm1");
    assert.equal((await gw.getNode(alice, "vm1")).project, null);
    assert.deepEqual((await gw.getNode(alice, "vm1")).nics[0]?.networks, {});
    await gw.allocate(alice, "proj-a", "vm1");
    assert.equal(await gw.powerStatus(alice, "proj-a", "vm1"), "off", "release powered the VM off");
    await gw.release(alice, "proj-a", "vm1");
  });

  it("updates a node, freeing its old MAC, and keeps everything across restarts", async () => {
    const updated = await gw.update(admin, { name: "bare1", nics: [{ label: "eth0", mac: "52:54:00:bb:00:03" }], metadata: { rack: "r2" } });
    assert.equal(updated.nics[0]?.mac, "52:54:00:bb:00:03");
    await gw.register(admin, { name: "bare2", nics: [{ label: "eth0", mac: "52:54:00:bb:00:02" }], metadata: {} });
    const again = new Gateway(new StandaloneDriver({ redis, prefix, log: silentLogger() }));
    assert.deepEqual((await again.listNodes(admin, { kind: "free" })).map((n) => n.name), ["bare1", "bare2", "vm1"]);
    assert.deepEqual((await again.getNode(admin, "bare1")).metadata, { rack: "r2" });
    await gw.unregister(admin, "bare2");
    await assert.rejects(gw.getNode(admin, "bare2"), { code: "NOT_FOUND" });
  });

  it("imports an inventory file, keeping nodes it already has", async () => {
    const file = path.join(dir, "inventory.yaml");
    writeFileSync(file, [
      "nodes:",
      "  - {name: vm1, nics: {eth0: '52:54:00:bb:00:01'}, power: 'qemu:///tmp/other.qmp'}",
      "  - {name: rack1-n1, nics: [{label: eth0, mac: '52:54:00:cc:00:01'}], power: 'ipmi://admin:pa%40ss@10.0.0.5'}",
    ].join("\n"));
    const result = await driver.importNodes(readInventory(file));
    assert.deepEqual(result, { added: ["rack1-n1"], kept: ["vm1"], refused: [] });
    assert.equal((await gw.getNode(admin, "rack1-n1")).powerDriver, "ipmi");
    writeFileSync(file, "nodes:\n  - {name: Bad Name}\n  - {name: ok, nics: {eth0: nope}}\n");
    assert.throws(() => readInventory(file), /node #1: node name "Bad Name" is invalid[\s\S]*node #2: MAC address "nope"/);
  });
});
