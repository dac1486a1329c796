import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHilSim, type HilSim } from "@bmi/testing";
import { Gateway } from "../gateway";
import type { NodeSpec } from "../node-driver";
import { basicScope } from "../testkit/scopes";
import { HilDriver } from "./hil";

const root = basicScope("root", "pw-root", { admin: true });
const alice = basicScope("alice", "pw-a", { projects: ["proj-a"] });

describe("registering nodes with HIL", () => {
  let sim: HilSim;
  let gw: Gateway;
  let spec: NodeSpec;
  before(async () => {
    sim = await startHilSim({ pendingMs: 50 });
    sim.state.addUser("root", "pw-root", { admin: true });
    sim.state.addUser("alice", "pw-a", { projects: ["proj-a"] });
    sim.state.addNode("old", { nics: [{ label: "eth0", mac: "52:54:00:aa:00:01" }] });
    gw = new Gateway(new HilDriver({ url: sim.url, requestTimeoutMs: 2000, actionTimeoutMs: 2000, blockedRetryMs: 1000 }));
    spec = {
      name: "fresh",
      nics: [{ label: "eth0", mac: "52-54-00-AA-00-02" }, { label: "ipmi", mac: "52:54:00:aa:00:03" }],
      power: { kind: "obmd", uri: `${sim.obmdUrl}/node/fresh`, adminToken: "secret" },
      metadata: { rack: "r7" },
    };
  });
  after(() => sim.close());

  it("registers a node with its OBM daemon and NICs, then unregisters it", async () => {
    const node = await gw.register(root, spec);
    assert.deepEqual(node.nics.map((n) => [n.label, n.mac]), [["eth0", "52:54:00:aa:00:02"], ["ipmi", "52:54:00:aa:00:03"]]);
    assert.deepEqual(node.metadata, { rack: "r7" });
    assert.equal(sim.state.node("fresh").obmd.adminToken, "secret");
    const puts = sim.requests.filter((r) => r.method === "PUT").map((r) => r.path);
    assert.deepEqual(puts, ["/v0/node/fresh", "/v0/node/fresh/nic/eth0", "/v0/node/fresh/nic/ipmi"]);

    const updated = await gw.update(root, { name: "fresh", nics: [{ label: "eth0", mac: "52:54:00:aa:00:04" }], metadata: { rack: "", row: "2" } });
    assert.deepEqual(updated.nics.map((n) => n.mac), ["52:54:00:aa:00:04"]);
    assert.deepEqual(updated.metadata, { row: "2" });

    await gw.unregister(root, "fresh");
    assert.equal(sim.state.nodes.has("fresh"), false);
  });

  it("refuses duplicates, bad MACs, non-admins and allocated nodes", async () => {
    await assert.rejects(gw.register(root, { ...spec, name: "old", nics: [] }), { code: "ALREADY_EXISTS", message: /already registered/ });
    await assert.rejects(gw.register(root, { ...spec, nics: [{ label: "eth0", mac: "52:54:00:AA:00:01" }] }),
      { code: "ALREADY_EXISTS", message: /52:54:00:aa:00:01 is already registered on node old/ });
    await assert.rejects(gw.register(root, { ...spec, nics: [{ label: "eth0", mac: "52:54:00:zz:00:01" }] }), { code: "INVALID_ARGUMENT" });
    await assert.rejects(gw.register(alice, spec), { code: "PERMISSION_DENIED", message: /needs an admin; user alice/ });
    // BMI calls alice an admin, HIL does not: HIL's refusal is reported as such.
    await assert.rejects(gw.register({ ...alice, caller: { ...alice.caller, admin: true } }, spec),
      { code: "PERMISSION_DENIED", message: /HIL's admin operation/ });
    await assert.rejects(gw.register(root, { ...spec, power: { kind: "ipmi", host: "bmc1", user: "u", password: "p" } }),
      { code: "INVALID_ARGUMENT", message: /obmd/ });
    sim.state.node("old").project = "proj-a";
    await assert.rejects(gw.unregister(root, "old"), { code: "FAILED_PRECONDITION", message: /allocated to project proj-a/ });
    assert.equal(sim.state.nodes.has("fresh"), false, "refused registrations leave nothing behind");
  });
});
