import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient, createServer, staticAuth, type BmiServer, type PromiseClient } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { BootDevice, HaasGatewayClient, NodeFilter, PowerState } from "@bmi/proto/bmi/haas/v1/haas";
import { startHilSim, type HilSim } from "@bmi/testing";
import { HilDriver } from "./drivers/hil";
import { addGateway } from "./server";
import { testClientTls, testPki } from "@bmi/testing";

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;
const ALICE = basic("alice", "pw-a");
const ROOT = basic("root", "pw-root");
// The client holds the orchestrator's certificate and speaks for alice, sending her own header for HIL.
const alice = (authorization = ALICE) => ({ authorization, onBehalfOf: { user: "alice", projects: ["proj-a"], admin: false } });

describe("HaasGateway over gRPC, hil driver, HIL simulator", () => {
  let sim: HilSim;
  let server: BmiServer;
  let client: PromiseClient<HaasGatewayClient>;
  let dir: string;
  let port: number;
  before(async () => {
    sim = await startHilSim({ pendingMs: 50 });
    sim.state.addUser("alice", "pw-a", { projects: ["proj-a"] });
    sim.state.addUser("root", "pw-root", { admin: true });
    sim.state.addNetwork("prov");
    sim.state.addNode("n1", { nics: [{ label: "eth0", mac: "52:54:00:dd:00:01" }] });
    dir = mkdtempSync(path.join(tmpdir(), "bmi-haas-"));
    const users = path.join(dir, "users.yaml");
    writeFileSync(users, "users:\n  - {name: alice, password: pw-a, projects: [proj-a]}\n  - {name: root, password: pw-root, admin: true}\n");
    server = createServer({
      name: "haas-gateway", log: silentLogger(), auth: staticAuth(users), transport: { tls: true, files: testPki().files("haas-gateway") },
    });
    addGateway(server, new HilDriver({ url: sim.url, requestTimeoutMs: 2000, actionTimeoutMs: 5000, blockedRetryMs: 2000 }));
    port = await server.listen("127.0.0.1:0");
    client = createClient(HaasGatewayClient, `127.0.0.1:${port}`, { deadlineMs: 10_000, tls: testClientTls("orchestrator") });
  });
  after(async () => {
    client.close();
    await server.shutdown();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a node's life cycle with the caller's credentials", async () => {
    const auth = alice();
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
    await assert.rejects(client.registerNode({ name: "x", nics: [], power: undefined, metadata: {} }, alice()),
      { code: "PERMISSION_DENIED", message: /needs an admin/ });
    await assert.rejects(client.getNode({ node: "Bad!" }, alice()), { code: "INVALID_ARGUMENT" });
    await assert.rejects(client.getNode({ node: "nope" }, alice()), { code: "NOT_FOUND", message: /HIL: Node "nope"/ });
    await assert.rejects(client.listNodes({ filter: NodeFilter.NODE_FILTER_FREE, project: "" }, alice(basic("alice", "bad"))),
      { code: "UNAUTHENTICATED" });
  });

  it("is internal: a member's own client (no BMI certificate) is refused before HIL is asked", async () => {
    const direct = createClient(HaasGatewayClient, `127.0.0.1:${port}`, { deadlineMs: 10_000, tls: testClientTls() });
    const asked = sim.requests.length;
    try {
      await assert.rejects(direct.listNodes({ filter: NodeFilter.NODE_FILTER_FREE, project: "" }, { authorization: ALICE }),
        { code: "PERMISSION_DENIED", message: /internal/ });
      await assert.rejects(direct.getNode({ node: "n1" }, alice()), { code: "UNAUTHENTICATED" });
      assert.equal(sim.requests.length, asked);
    } finally {
      direct.close();
    }
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
