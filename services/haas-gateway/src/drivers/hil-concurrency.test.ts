import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHilSim, type HilSim } from "@bmi/testing";
import { Gateway } from "../gateway";
import { basicScope } from "../testkit/scopes";
import { HilDriver } from "./hil";

const alice = basicScope("alice", "pw-a", { projects: ["proj-a"] });

describe("hil driver: the gateway holds its requests to HIL to BMI_HAAS_HIL_CONCURRENCY", () => {
  let sim: HilSim;
  let gw: Gateway;
  before(async () => {
    sim = await startHilSim();
    sim.state.addUser("alice", "pw-a", { projects: ["proj-a"] });
    for (let i = 0; i < 24; i++) sim.state.addNode(`n${i}`, { nics: [{ label: "eth0", mac: `52:54:00:00:01:${i.toString(16).padStart(2, "0")}` }], project: "proj-a" });
    gw = new Gateway(new HilDriver({ url: sim.url, requestTimeoutMs: 30_000, actionTimeoutMs: 60_000, blockedRetryMs: 2000, concurrency: 3 }));
  });
  after(() => sim.close());

  it("24 node reads at once reach HIL at most 3 at a time, and every one is answered", async () => {
    sim.setLatency(40);
    try {
      sim.inFlight.max = 0;
      const nodes = await Promise.all(Array.from({ length: 24 }, (_, i) => gw.getNode(alice, `n${i}`)));
      assert.deepEqual(nodes.map((n) => n.name), Array.from({ length: 24 }, (_, i) => `n${i}`));
      assert.ok(sim.inFlight.max >= 2 && sim.inFlight.max <= 3, `HIL saw ${sim.inFlight.max} requests at once`);
    } finally {
      sim.setLatency(0);
    }
  });

  it("a call whose deadline passes while it waits for a turn ends DEADLINE_EXCEEDED and never reaches HIL", async () => {
    sim.setLatency(300);
    try {
      const busy = Array.from({ length: 3 }, (_, i) => gw.getNode(alice, `n${i}`));
      await new Promise((r) => setTimeout(r, 50));
      const before = sim.requests.length;
      const late = { ...alice, signal: AbortSignal.timeout(100) };
      await assert.rejects(gw.getNode(late, "n9"), { code: "DEADLINE_EXCEEDED" });
      assert.equal(sim.requests.filter((r, i) => i >= before && r.path.includes("n9")).length, 0, "the request never left the gateway");
      await Promise.all(busy);
    } finally {
      sim.setLatency(0);
    }
  });
});
