import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHilSim, type HilSim } from "@bmi/testing";
import { Gateway } from "../gateway";
import { basicScope } from "../testkit/scopes";
import { HilDriver } from "./hil";

const alice = basicScope("alice", "pw-a", { projects: ["proj-a"] });
const BUSY = "A networking operation is already active on the nic.";

/**
 * HIL answers 409 BlockedError on more than network changes: every OBM call (power on/off/cycle, power status, boot
 * device) while the node's OBM is disabled ("OBM is not enabled", hil/api.py _obmd_redirect), which a release
 * running beside it or a fresh allocation leaves so. Such a call is retried within its budget, and when HIL keeps
 * refusing it ends ABORTED (retryable) with HIL's message, never FAILED_PRECONDITION (which the orchestrator does
 * not retry).
 */
describe("hil driver when HIL answers 409 BlockedError", () => {
  let sim: HilSim;
  let gw: Gateway;
  before(async () => {
    sim = await startHilSim({ pendingMs: 50 });
    sim.state.addUser("alice", "pw-a", { projects: ["proj-a"] });
    sim.state.addNetwork("prov", { netId: "200" });
    for (const n of ["b1", "b2", "b3"]) sim.state.addNode(n, { nics: [{ label: "eth0", mac: `52:54:00:0b:00:0${n.slice(1)}` }], project: "proj-a" });
    gw = new Gateway(new HilDriver({ url: sim.url, requestTimeoutMs: 10_000, actionTimeoutMs: 10_000, blockedRetryMs: 1500 }));
  });
  after(() => sim.close());

  for (const [what, op, run] of [
    ["power cycle", "power_cycle", (node: string) => gw.power(alice, "proj-a", node, "cycle", true)],
    ["power on", "power_on", (node: string) => gw.power(alice, "proj-a", node, "on")],
    ["power off", "power_off", (node: string) => gw.power(alice, "proj-a", node, "off")],
    ["power status", "power_status", (node: string) => gw.powerStatus(alice, "proj-a", node)],
    ["boot device", "boot_device", (node: string) => gw.setBootDevice(alice, "proj-a", node, "pxe")],
  ] as const) {
    it(`${what}: a few Blocked answers are ridden out`, async () => {
      sim.state.node("b1").obmEnabled = false;
      sim.failRequests(3, 409, "BlockedError", new RegExp(`/${op}$`), BUSY);
      await run("b1");
      assert.equal(sim.state.node("b1").obmEnabled, true);
    });
  }

  it("a power call HIL keeps blocking ends ABORTED (retryable) with HIL's message", async () => {
    sim.failRequests(1000, 409, "BlockedError", /\/power_off$/, BUSY);
    try {
      await assert.rejects(gw.power(alice, "proj-a", "b3", "off"), (err: Error & { code?: string }) => {
        assert.equal(err.code, "ABORTED", err.message);
        assert.match(err.message, /already active on the nic\. \(BlockedError\)/);
        return true;
      });
    } finally {
      sim.failRequests(0);
    }
  });

  it("a release meeting Blocked on its power-off and OBM calls still frees the node", async () => {
    await gw.connectNetwork(alice, { project: "proj-a", node: "b3", nic: "eth0", network: "prov" });
    sim.failRequests(2, 409, "BlockedError", /\/power_off$/, BUSY);
    await gw.release(alice, "proj-a", "b3");
    assert.equal(sim.state.node("b3").project, null);
    assert.equal(sim.state.node("b3").power, "off");
  });
});
