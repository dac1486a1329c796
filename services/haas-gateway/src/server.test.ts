import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient, createServer, staticAuth, type BmiServer, type PromiseClient } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { BootDevice, HaasGatewayClient, NodeFilter, PowerState } from "@bmi/proto/bmi/haas/v1/haas";
import { startHilSim, type HilSim } from "@bmi/test/dist/hil-sim";
import { HilDriver } from "./drivers/hil";
import { addGateway } from "./server";

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;
const ALICE = basic("alice", "pw-a");
const ROOT = basic("root", "pw-root");

describe("HaasGateway over gRPC, hil driver, HIL simulator", () => {
  let sim: HilSim;
  let server: BmiServer;
  let client: PromiseClient<HaasGatewayClient>;
  let dir: string;
  before(async () => {
    sim = await startHilSim({ pendingMs: 50 });
    sim.state.addUser("alice", "pw-a", { projects: ["proj-a"] });
    sim.state.addUser("root", "pw-root", { admin: true });
    sim.state.addNetwork("prov");
    sim.state.addNode("n1", { nics: [{ label: "eth0", mac: "52:54:00:dd:00:01" }] });
    dir = mkdtempSync(path.join(tmpdir(), "bmi-haas-"));
    const users = path.join(dir, "users.yaml");
    writeFileSync(users, "users:\n  - {name: alice, password: pw-a, projects: [proj-a]}\n  - {name: root, password: pw-root, admin: true}\n");
    server = createServer({ name: "haas-gateway", log: silentLogger(), auth: staticAuth(users) });
    addGateway(server, new HilDriver({ url: sim.url, requestTimeoutMs: 2000, actionTimeoutMs: 5000, blockedRetryMs: 2000 }));
    const port = await server.listen("127.0.0.1:0");
    client = createClient(HaasGatewayClient, `127.0.0.1:${port}`, { deadlineMs: 10_000 });
  });
  after(async () => {
    client.close();
    await server.shutdown();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a node's life cycle with the caller's credentials", async () => {
    const auth = { authorization: ALICE };
    const free = await client.listNodes({ filter: NodeFilter.NODE_FILTER_FREE, project: "" }, auth);
    assert.deepEqual(free.nodes.map((n) => [n.name, n.isolated, n.nics[0]?.mac]), [["n1", true, "52:54:00:dd:00:01"]]);
    assert.equal(free.notice, "");
    const alloc = await client.allocateNode({ project: "proj-a", node: "n1" }, auth);
    assert.equal(alloc.allocated, true);
    assert.equal(alloc.node?.project, "proj-a");
    const conn = await client.connectNetwork({ project: "proj-a", node: "n1", nic: "eth0", network: "prov", channel: "" }, auth);
    assert.equal(conn.changed, true);
    await client.setBootDevice({ project: "proj-a", node: "n1", device: BootDevice.BOOT_DEVICE_PXE }, auth);
    await client.powerCycle({ project: "proj-a", node: "n1", force: false }, auth);
    const power = await client.getPowerStatus({ project: "proj-a", node: "n1" }, auth);
    assert.equal(power.state, PowerState.POWER_STATE_ON);
    await client.releaseNode({ project: "proj-a", node: "n1" }, auth);
    assert.equal(sim.state.node("n1").project, null);
    assert.ok(sim.requests.every((r) => r.authorization === ALICE));
  });

  it("maps refusals to status codes", async () => {
    await assert.rejects(client.registerNode({ name: "x", nics: [], power: undefined, metadata: {} }, { authorization: ALICE }),
      { code: "PERMISSION_DENIED", message: /admin operation/ });
    await assert.rejects(client.getNode({ node: "Bad!" }, { authorization: ALICE }), { code: "INVALID_ARGUMENT" });
    await assert.rejects(client.getNode({ node: "nope" }, { authorization: ALICE }), { code: "NOT_FOUND", message: /HIL: Node "nope"/ });
    await assert.rejects(client.listNodes({ filter: NodeFilter.NODE_FILTER_FREE, project: "" }, { authorization: basic("alice", "bad") }),
      { code: "UNAUTHENTICATED" });
  });

  it("registers a node for an admin", async () => {
    const res = await client.registerNode({
      name: "n9",
      nics: [{ label: "eth0", mac: "52:54:00:dd:00:09", networks: {} }],
      power: { obmd: { uri: `${sim.obmdUrl}/node/n9`, adminToken: "tok" } },
      metadata: { rack: "r1" },
    }, { authorization: ROOT });
    assert.equal(res.node?.name, "n9");
    assert.deepEqual(res.node?.metadata, { rack: "r1" });
    await client.unregisterNode({ name: "n9" }, { authorization: ROOT });
    assert.equal(sim.state.nodes.has("n9"), false);
  });
});
