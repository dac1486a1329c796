import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { startHilSim, type HilSim } from "./hil-sim";

const ALICE = `Basic ${Buffer.from("alice:pw").toString("base64")}`;

async function call(sim: HilSim, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${sim.url}${path}`, {
    method, redirect: "manual",
    headers: { Authorization: ALICE, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), location: res.headers.get("location"), json: text ? JSON.parse(text) : undefined };
}

/** fetch refuses a GET with a body; HIL's clients sometimes sent one. */
function getWithBody(url: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers: { Authorization: ALICE, "Content-Type": "application/json" } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", reject);
    req.end("{}");
  });
}

describe("HIL simulator on the wire", () => {
  let sim: HilSim;
  before(async () => {
    sim = await startHilSim({ pendingMs: 100 });
    sim.state.addUser("alice", "pw", { projects: ["p"] });
    sim.state.addNetwork("net", { netId: "42" });
    sim.state.addNode("n1", { nics: [{ label: "eth0", mac: "52:54:00:00:00:01" }], project: "p" });
  });
  after(() => sim.close());

  it("answers JSON as text/html, with {type, msg} errors and HIL's auth rules", async () => {
    const free = await call(sim, "GET", "/v0/nodes/free");
    assert.equal(free.status, 200);
    assert.match(free.type ?? "", /^text\/html/);
    assert.deepEqual(free.json, []);
    assert.deepEqual((await call(sim, "GET", "/v0/node/n1", undefined, { Authorization: "Basic " + btoa("alice:no") })).json,
      { type: "AuthorizationError", msg: "Invalid username/password" });
    assert.equal((await call(sim, "GET", "/v0/node/n1", undefined, { Authorization: "Basic " + btoa("eve:x") })).status, 404);
    assert.equal((await call(sim, "GET", "/v0/nodes/all")).status, 401, "admin only");
    assert.equal(await getWithBody(`${sim.url}/v0/nodes/free`), 400, "a GET carries no body");
  });

  it("queues network changes: 202, PENDING, BlockedError, DONE", async () => {
    const path = "/v0/node/n1/nic/eth0/connect_network";
    const form = await call(sim, "POST", path, "network=net", { "Content-Type": "application/x-www-form-urlencoded" });
    assert.equal(form.status, 400, "a form body is invisible to HIL");
    const first = await call(sim, "POST", path, { network: "net", channel: "vlan/42" });
    assert.equal(first.status, 202);
    const id = (first.json as { status_id: string }).status_id;
    assert.equal((await call(sim, "GET", `/v0/networking_action/${id}`)).json.status, "PENDING");
    assert.equal((await call(sim, "POST", path, { network: "net" })).json.type, "BlockedError");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await call(sim, "GET", `/v0/networking_action/${id}`)).json.status, "DONE");
    assert.deepEqual((await call(sim, "GET", "/v0/node/n1")).json.nics[0].networks, { "vlan/42": "net" });
  });

  it("redirects power calls to the OBM daemon once OBM is enabled", async () => {
    assert.equal((await call(sim, "POST", "/v0/node/n1/power_cycle", { force: true })).status, 409);
    assert.equal((await call(sim, "PUT", "/v0/node/n1/obm", { enabled: true })).status, 200);
    const hop = await call(sim, "POST", "/v0/node/n1/power_cycle", { force: true });
    assert.equal(hop.status, 307);
    assert.match(hop.location ?? "", new RegExp(`^${sim.obmdUrl}/node/n1/power_cycle\\?token=`));
    assert.equal((await fetch(hop.location ?? "", { method: "POST" })).status, 400, "obmd wants the body again");
    assert.equal((await fetch(hop.location ?? "", { method: "POST", body: '{"force":true}' })).status, 200);
    assert.equal(sim.state.node("n1").power, "on");
  });
});
