import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHilSim, type HilSim } from "@bmi/testing";
import { Gateway } from "../gateway";
import { basicScope } from "../testkit/scopes";
import { HilDriver } from "./hil";

const opts = { requestTimeoutMs: 2000, actionTimeoutMs: 5000, blockedRetryMs: 3000 };
const alice = basicScope("alice", "pw-a", { projects: ["proj-a"] });
const bob = basicScope("bob", "pw-b", { projects: ["proj-b"] });

describe("hil driver against the HIL simulator", () => {
  let sim: HilSim;
  let gw: Gateway;
  before(async () => {
    sim = await startHilSim({ pendingMs: 100 });
    sim.state.addUser("alice", "pw-a", { projects: ["proj-a"], token: "tok-a" });
    sim.state.addUser("bob", "pw-b", { projects: ["proj-b"] });
    sim.state.addUser("root", "pw-root", { admin: true });
    sim.state.addNetwork("prov", { netId: "200" });
    sim.state.addNetwork("data", { netId: "300" });
    sim.state.addNode("n1", { nics: [{ label: "eth0", mac: "52:54:00:00:00:01" }, { label: "eth1", mac: "52:54:00:00:00:02" }] });
    sim.state.addNode("n2", { nics: [{ label: "eth0", mac: "52:54:00:00:00:03" }], project: "proj-b" });
    gw = new Gateway(new HilDriver({ url: sim.url, ...opts }));
  });
  after(() => sim.close());

  it("allocates, connects, powers and releases a node with the caller's own credentials", async () => {
    sim.requests.length = 0;
    assert.equal(await gw.allocate(alice, "proj-a", "n1"), true);
    assert.equal(await gw.allocate(alice, "proj-a", "n1"), false);
    const change = { project: "proj-a", node: "n1", nic: "eth0", network: "prov" };
    assert.equal(await gw.connectNetwork(alice, change), true);
    assert.equal(await gw.connectNetwork(alice, change), false);
    assert.equal(await gw.connectNetwork(alice, { ...change, nic: "eth1", network: "data", channel: "vlan/300" }), true);
    const node = await gw.getNode(alice, "n1");
    assert.deepEqual(node.nics.map((n) => n.networks), [{ "vlan/native": "prov" }, { "vlan/300": "data" }]);
    assert.equal(node.project, "proj-a");

    await gw.setBootDevice(alice, "proj-a", "n1", "pxe");
    await gw.power(alice, "proj-a", "n1", "cycle", true);
    assert.equal(await gw.powerStatus(alice, "proj-a", "n1"), "on");
    assert.equal(sim.state.node("n1").bootdev, "pxe");

    await gw.release(alice, "proj-a", "n1");
    const freed = sim.state.node("n1");
    assert.equal(freed.project, null);
    assert.equal(freed.power, "off");
    assert.equal(freed.obmEnabled, false);
    assert.deepEqual([...freed.nics.values()].map((n) => n.networks.size), [0, 0]);
    await gw.release(alice, "proj-a", "n1"); // already free: nothing to do

    const auth = new Set(sim.requests.map((r) => r.authorization));
    assert.deepEqual([...auth], [alice.authorization], "every HIL call carries alice's credentials, nothing else");
  });

  it("sends a bearer token as X-Auth-Token", async () => {
    sim.requests.length = 0;
    const tokenScope = { ...alice, authorization: "Bearer tok-a" };
    const nodes = await gw.listNodes(tokenScope, { kind: "free" });
    assert.ok(nodes.some((n) => n.name === "n1"));
    assert.ok(sim.requests.every((r) => r.token === "tok-a" && r.authorization === undefined));
  });

  it("refuses another project's node", async () => {
    const change = { project: "proj-a", node: "n2", nic: "eth0", network: "prov" };
    await assert.rejects(gw.connectNetwork(alice, change), { code: "NOT_FOUND", message: /not found in project proj-a/ });
    await assert.rejects(gw.power(alice, "proj-a", "n2", "off"), { code: "NOT_FOUND" });
    await assert.rejects(gw.release(alice, "proj-a", "n2"), { code: "NOT_FOUND" });
    await assert.rejects(gw.allocate(alice, "proj-a", "n2"), { code: "FAILED_PRECONDITION", message: /not free/ });
    await assert.rejects(gw.getNode(alice, "n2"), { code: "NOT_FOUND", message: /node n2 not found/ });
    await assert.rejects(gw.connectNetwork(alice, { ...change, project: "proj-b" }), { code: "NOT_FOUND", message: /project proj-b not found/ });
    assert.equal(sim.state.node("n2").project, "proj-b");
  });

  it("a retried allocation that HIL already carried out (its caller died mid-call) succeeds; another project's node stays refused", async () => {
    sim.state.addNode("n9", { nics: [{ label: "eth0", mac: "52:54:00:00:00:09" }] });
    const driver = new HilDriver({ url: sim.url, ...opts });
    await driver.allocate(alice, "proj-a", "n9");
    // The retry, sent before the first attempt's effect was visible to the gateway's ownership check: HIL answers
    // BlockedError ("already owned") and the node is ours.
    await driver.allocate(alice, "proj-a", "n9");
    assert.equal(sim.state.node("n9").project, "proj-a");
    await assert.rejects(driver.allocate(bob, "proj-b", "n9"), { code: "FAILED_PRECONDITION", message: /already owned/ });
    await gw.release(alice, "proj-a", "n9");
  });

  it("maps HIL's authentication answers", async () => {
    await assert.rejects(gw.listNodes(basicScope("alice", "wrong"), { kind: "free" }), { code: "UNAUTHENTICATED", message: /HIL: Invalid/ });
    await assert.rejects(gw.listNodes(basicScope("mallory", "x"), { kind: "free" }), { code: "NOT_FOUND", message: /mallory/ });
  });

  it("retries a NIC that is busy, and gives up with ABORTED when it stays busy", async () => {
    await gw.allocate(bob, "proj-b", "n2");
    const base = { project: "proj-b", node: "n2", nic: "eth0" };
    const both = await Promise.all([
      gw.connectNetwork(bob, { ...base, network: "prov" }),
      gw.connectNetwork(bob, { ...base, network: "data", channel: "vlan/300" }),
    ]);
    assert.deepEqual(both, [true, true]);
    const short = new Gateway(new HilDriver({ url: sim.url, ...opts, blockedRetryMs: 300 }));
    sim.setPendingMs(1500);
    try {
      const detaching = gw.detachNetwork(bob, { ...base, network: "prov" });
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(short.detachNetwork(bob, { ...base, network: "data" }), { code: "ABORTED", message: /BlockedError/ });
      assert.equal(await detaching, true);
    } finally {
      sim.setPendingMs(100);
    }
  });

  it("reports a switch change that ends in ERROR as UNAVAILABLE", async () => {
    sim.failActions(1);
    await assert.rejects(gw.detachNetwork(bob, { project: "proj-b", node: "n2", nic: "eth0", network: "data" }),
      { code: "UNAVAILABLE", message: /ERROR/ });
  });
});
