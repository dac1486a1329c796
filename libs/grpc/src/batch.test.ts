import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { NotFoundError } from "@bmi/errors";
import { silentLogger } from "@bmi/log";
import {
  DeleteDiskResponse, GetDiskResponse, ImageServiceClient, ImageServiceService, type DeleteDiskRequest, type GetDiskRequest,
} from "@bmi/proto/bmi/image/v1/image";
import { tempDir, testClientTls, testPki } from "@bmi/testing";
import {
  assertMember, batchOf, createClient, createServer, MAX_BATCH_ITEMS, staticAuth, withBatching, type AccessTable, type AuditEntry,
  type BmiServer, type CallContext, type Handlers,
} from "./index";

// The real ImageService contract; GetDisk and DeleteDisk check the caller's project as image-service's do.
function handlers(seen: string[]) {
  const getDisk = async (req: GetDiskRequest, ctx: CallContext) => {
    seen.push(`${ctx.method.split("/").pop()} ${req.name} ${ctx.requestId}`);
    assertMember(ctx.caller, req.project, `disk ${req.project}/${req.name}`);
    if (req.name === "missing") throw new NotFoundError(`disk ${req.project}/${req.name} not found`);
    if (req.name === "boom") throw new Error("secret internals");
    if (req.name === "slow") await new Promise((r) => setTimeout(r, 200));
    return GetDiskResponse.fromPartial({ disk: { project: req.project, name: req.name } });
  };
  const deleteDisk = async (req: DeleteDiskRequest, ctx: CallContext) => {
    assertMember(ctx.caller, req.project, `disk ${req.project}/${req.name}`);
    return DeleteDiskResponse.fromPartial({});
  };
  const impl = { getDisk, getDisks: batchOf(getDisk), deleteDisk, deleteDisks: batchOf(deleteDisk) };
  const other = async () => { throw new Error("not part of this test"); };
  return new Proxy(impl, { get: (t, k) => (t as Record<string | symbol, unknown>)[k] ?? other }) as unknown as
    Handlers<typeof ImageServiceService>;
}

const everyone = new Proxy({}, { get: () => "member" }) as AccessTable<typeof ImageServiceService>;
const BOB = { onBehalfOf: { user: "bob", projects: ["p2"], admin: false } };

describe("batched calls", () => {
  let server: BmiServer;
  let oldServer: BmiServer;
  let address: string;
  let oldAddress: string;
  const seen: string[] = [];
  const audit: AuditEntry[] = [];
  const dir = tempDir("bmi-batch-");
  const usersFile = path.join(dir, "users.yaml");
  writeFileSync(usersFile, "users:\n  - {name: svc, token: t0k3n, admin: true}\n");

  before(async () => {
    const opts = { log: silentLogger(), auth: staticAuth(usersFile), shutdownGraceMs: 5000, transport: { tls: true as const, files: testPki().files("image-service") } };
    server = createServer({ ...opts, name: "test", audit: { record: (e) => audit.push(e) } });
    server.add(ImageServiceService, handlers(seen), everyone);
    address = `127.0.0.1:${await server.listen("127.0.0.1:0")}`;
    // A server of before the batched methods: they are not in its contract.
    const { getDisks: _g, deleteDisks: _d, ...old } = ImageServiceService;
    oldServer = createServer({ ...opts, name: "old" });
    oldServer.add(old as unknown as typeof ImageServiceService, handlers(seen), everyone);
    oldAddress = `127.0.0.1:${await oldServer.listen("127.0.0.1:0")}`;
  });
  after(async () => {
    await server.shutdown();
    await oldServer.shutdown();
  });

  const client = (addr = address, maxInFlight = 1) => {
    const raw = createClient(ImageServiceClient, addr, { deadlineMs: 5000, tls: testClientTls("orchestrator"), name: "image-service" });
    return { raw, batched: withBatching(raw, "image-service", { getDisk: "getDisks", deleteDisk: "deleteDisks" }, { maxInFlight }) };
  };

  it("sends calls made together as one batched call and answers each as its own call would have been", async () => {
    const { raw, batched } = client();
    seen.length = 0;
    try {
      const names = ["a", "missing", "b", "boom", "c"];
      const out = await Promise.allSettled(names.map((name, i) => batched.getDisk({ project: "p2", name }, { ...BOB, requestId: `req-${i}` })));
      assert.deepEqual(out.map((o) => (o.status === "fulfilled" ? o.value.disk?.name : (o.reason as { code: string }).code)),
        ["a", "NOT_FOUND", "b", "UNAVAILABLE", "c"]);
      const boom = (out[3] as PromiseRejectedResult).reason as Error;
      assert.match(boom.message, /INTERNAL: internal error/);
      assert.doesNotMatch(boom.message, /secret/);
      // One GetDisks call, each item under its own request id.
      assert.deepEqual(seen.sort(), names.map((n, i) => `GetDisks ${n} req-${i}`).sort());
    } finally {
      raw.close();
    }
  });

  it("checks each item's project for the principal it speaks for, as single calls do", async () => {
    const { raw, batched } = client();
    try {
      const out = await Promise.allSettled([
        batched.getDisk({ project: "p2", name: "own" }, BOB), batched.getDisk({ project: "p1", name: "theirs" }, BOB),
        batched.deleteDisk({ project: "p1", name: "theirs" }, BOB), batched.deleteDisk({ project: "p2", name: "own" }, BOB),
      ]);
      assert.deepEqual(out.map((o) => (o.status === "fulfilled" ? "OK" : (o.reason as { code: string }).code)), ["OK", "NOT_FOUND", "NOT_FOUND", "OK"]);
    } finally {
      raw.close();
    }
  });

  it("records an audit entry per item, with its own request id, project, name and outcome", async () => {
    const { raw } = client();
    audit.length = 0;
    try {
      const res = await raw.deleteDisks({ items: [
        { request: { project: "p2", name: "d1" }, requestId: "r-1" }, { request: { project: "p1", name: "d2" }, requestId: "r-2" },
      ] }, BOB);
      assert.deepEqual(res.results.map((r) => r.error?.code ?? 0), [0, 5]);
      const items = audit.filter((e) => e.requestId.startsWith("r-")).map((e) => [e.requestId, e.project, e.resources.join(","), e.code, e.caller.user]);
      assert.deepEqual(items.sort(), [["r-1", "p2", "d1", "OK", "bob"], ["r-2", "p1", "d2", "NOT_FOUND", "bob"]]);
    } finally {
      raw.close();
    }
  });

  it("refuses more than the most items, an item without a request and a bad request id", async () => {
    const { raw } = client();
    try {
      const item = { request: { project: "p2", name: "a" }, requestId: "" };
      await assert.rejects(raw.getDisks({ items: Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => item) }, BOB), { code: "INVALID_ARGUMENT" });
      await assert.rejects(raw.getDisks({ items: [{ ...item, requestId: "a b\n" }] }, BOB), { code: "INVALID_ARGUMENT" });
      const res = await raw.getDisks({ items: [{ request: undefined, requestId: "" }, item] }, BOB);
      assert.deepEqual(res.results.map((r) => r.error?.code ?? 0), [3, 0]);
    } finally {
      raw.close();
    }
  });

  it("sends a lone call as the single method, and only waits while maxInFlight calls are out", async () => {
    const { raw, batched } = client(address, 2);
    seen.length = 0;
    try {
      await batched.getDisk({ project: "p2", name: "alone" }, BOB);
      assert.deepEqual(seen.map((s) => s.split(" ").slice(0, 2).join(" ")), ["GetDisk alone"]);
      seen.length = 0;
      // Made in three turns of the event loop: the first two turns' calls leave at once, the third's wait for one.
      const calls = [batched.getDisk({ project: "p2", name: "t1" }, BOB)];
      await new Promise((r) => setImmediate(r));
      calls.push(batched.getDisk({ project: "p2", name: "t2" }, BOB), batched.getDisk({ project: "p2", name: "t3" }, BOB));
      await new Promise((r) => setImmediate(r));
      calls.push(batched.getDisk({ project: "p2", name: "t4" }, BOB), batched.getDisk({ project: "p2", name: "t5" }, BOB));
      await Promise.all(calls);
      assert.deepEqual(seen.map((s) => s.split(" ").slice(0, 2).join(" ")).sort(),
        ["GetDisk t1", "GetDisks t2", "GetDisks t3", "GetDisks t4", "GetDisks t5"]);
    } finally {
      raw.close();
    }
  });

  it("holds calls back while maxInFlight calls are out, and sends them together when one ends", async () => {
    const { raw, batched } = client(address, 1);
    seen.length = 0;
    try {
      const slow = batched.getDisk({ project: "p2", name: "slow" }, BOB);
      await new Promise((r) => setTimeout(r, 50));
      // Made in two turns while the slow call is out: without the limit each would leave alone as GetDisk.
      const a = batched.getDisk({ project: "p2", name: "a" }, BOB);
      await new Promise((r) => setTimeout(r, 20));
      const b = batched.getDisk({ project: "p2", name: "b" }, BOB);
      await Promise.all([slow, a, b]);
      assert.deepEqual(seen.map((s) => s.split(" ").slice(0, 2).join(" ")), ["GetDisk slow", "GetDisks a", "GetDisks b"]);
    } finally {
      raw.close();
    }
  });

  it("drops a call cancelled while it waits, and falls back to single calls on a server without the batched method", async () => {
    const { raw, batched } = client(oldAddress);
    seen.length = 0;
    try {
      const abort = new AbortController();
      const cancelled = batched.getDisk({ project: "p2", name: "cancelled" }, { ...BOB, signal: abort.signal });
      const before = new AbortController();
      before.abort(new Error("cancelled before"));
      await assert.rejects(batched.getDisk({ project: "p2", name: "never" }, { ...BOB, signal: before.signal }));
      const kept = [batched.getDisk({ project: "p2", name: "x" }, BOB), batched.getDisk({ project: "p2", name: "y" }, BOB)];
      abort.abort(new Error("step cancelled"));
      await assert.rejects(cancelled, /step cancelled/);
      assert.deepEqual((await Promise.all(kept)).map((r) => r.disk?.name), ["x", "y"]);
      assert.deepEqual(seen.map((s) => s.split(" ").slice(0, 2).join(" ")).sort(), ["GetDisk x", "GetDisk y"]);
    } finally {
      raw.close();
    }
  });
});
