import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TLSSocket } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { FailedPreconditionError, NotFoundError } from "@bmi/errors";
import { silentLogger } from "@bmi/log";
import {
  GetImageResponse, ImageServiceClient, ImageServiceService, ListImagesResponse,
} from "@bmi/proto/bmi/image/v1/image";
import { checkHealth, tempDir, testClientTls, testPki } from "@bmi/testing";
import { createClient, createServer, staticAuth, type AccessTable, type BmiServer, type Handlers } from "./index";

/** The signal each call of getImage saw, by image name. */
const signals = new Map<string, AbortSignal>();

// A server of the real ImageService contract whose handlers exercise the chassis, not image logic.
function handlers(release: Promise<void>) {
  const impl = {
    getImage: async (req: { name: string }, ctx: { signal: AbortSignal }) => {
      signals.set(req.name, ctx.signal);
      if (req.name === "until-cancelled") {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      }
      if (req.name === "missing") throw new NotFoundError("image missing not found");
      if (req.name === "busy") throw new FailedPreconditionError("image busy has 2 disks");
      if (req.name === "boom") throw new Error("secret internals");
      if (req.name === "slow") await release;
      return GetImageResponse.fromPartial({ image: { name: req.name, project: "p" } });
    },
    listImages: async (_req: unknown, ctx: { caller: { user: string; service?: string } }) =>
      ListImagesResponse.fromPartial({ images: [{ name: ctx.caller.user, project: ctx.caller.service ?? "" }] }),
  };
  const other = async () => { throw new Error("not part of this test"); };
  return new Proxy(impl, { get: (t, k) => (t as Record<string | symbol, unknown>)[k] ?? other }) as unknown as
    Handlers<typeof ImageServiceService>;
}

const everyone = new Proxy({}, { get: () => "member" }) as AccessTable<typeof ImageServiceService>;

describe("gRPC chassis", () => {
  let server: BmiServer;
  let address: string;
  let releaseSlow!: () => void;
  const dir = tempDir("bmi-auth-");
  const usersFile = path.join(dir, "users.yaml");
  writeFileSync(usersFile, "users:\n  - {name: alice, password: wonder, projects: [p1]}\n  - {name: svc, token: t0k3n, admin: true}\n");

  before(async () => {
    const release = new Promise<void>((r) => (releaseSlow = r));
    server = createServer({
      name: "test", log: silentLogger(), auth: staticAuth(usersFile), shutdownGraceMs: 5000,
      transport: { tls: true, files: testPki().files("image-service") },
    });
    server.add(ImageServiceService, handlers(release), everyone);
    address = `127.0.0.1:${await server.listen("127.0.0.1:0")}`;
  });
  after(() => server.shutdown());

  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

  it("answers health SERVING for the server and the service", async () => {
    assert.equal(await checkHealth(address, "", 2000, testPki().ca), "SERVING");
    assert.equal(await checkHealth(address, "bmi.image.v1.ImageService", 2000, testPki().ca), "SERVING");
  });

  it("rejects calls without credentials as UNAUTHENTICATED", async () => {
    const c = createClient(ImageServiceClient, address, { tls: testClientTls() });
    await assert.rejects(c.getImage({ project: "p", name: "x" }), { code: "UNAUTHENTICATED" });
    await assert.rejects(c.getImage({ project: "p", name: "x" }, { authorization: basic("alice", "nope") }),
      { code: "UNAUTHENTICATED", message: "invalid credentials" });
    c.close();
  });

  it("identifies the caller from Basic and Bearer credentials", async () => {
    const c = createClient(ImageServiceClient, address, { tls: testClientTls() });
    const a = await c.listImages({ project: "p", includePublic: false, pageSize: 0, pageToken: "" }, { authorization: basic("alice", "wonder") });
    assert.equal(a.images[0]?.name, "alice");
    const b = await c.listImages({ project: "p", includePublic: false, pageSize: 0, pageToken: "" }, { authorization: "Bearer t0k3n" });
    assert.equal(b.images[0]?.name, "svc");
    c.close();
  });

  it("a BMI service's verified certificate is its identity; a forwarded user is believed only with one", async () => {
    const list = { project: "p", includePublic: false, pageSize: 0, pageToken: "" };
    const carol = { onBehalfOf: { user: "carol", projects: ["p9"], admin: false } };
    const who = async (tls: Parameters<typeof createClient>[2], o: object) => {
      const c = createClient(ImageServiceClient, address, tls);
      try {
        const img = (await c.listImages(list, o)).images[0];
        return `${img?.name}@${img?.project}`;
      } finally {
        c.close();
      }
    };
    assert.equal(await who({ tls: testClientTls("orchestrator") }, carol), "carol@orchestrator");
    assert.equal(await who({ tls: testClientTls("orchestrator") }, {}), "@orchestrator", "a service calling as itself");
    assert.equal(await who({ tls: testClientTls("orchestrator") }, { authorization: basic("alice", "wonder") }), "alice@orchestrator");
    await assert.rejects(who({ tls: testClientTls() }, carol), { code: "UNAUTHENTICATED", message: /only from a BMI service/ });
    await assert.rejects(who({ tls: { ...testPki().foreign, ca: testPki().ca } }, carol), { code: "UNAUTHENTICATED" });
    await assert.rejects(who({ tls: { ...testPki().foreign, ca: testPki().ca } }, {}), { code: "UNAUTHENTICATED" });
    const plain = createClient(ImageServiceClient, address, { deadlineMs: 2000 });
    await assert.rejects(plain.listImages(list, { authorization: "Bearer t0k3n" }), { code: "UNAVAILABLE" });
    plain.close();
  });

  it("reads a connection's certificate once, and each connection keeps its own identity", async () => {
    const list = { project: "p", includePublic: false, pageSize: 0, pageToken: "" };
    const decode = TLSSocket.prototype.getPeerCertificate;
    let decoded = 0;
    TLSSocket.prototype.getPeerCertificate = function (this: TLSSocket, ...a: Parameters<typeof decode>) {
      // The server's side only: the clients check the server's certificate in their own handshakes.
      if ((this as unknown as { _tlsOptions?: { isServer?: boolean } })._tlsOptions?.isServer) decoded++;
      return decode.apply(this, a);
    } as typeof decode;
    const orch = createClient(ImageServiceClient, address, { tls: testClientTls("orchestrator") });
    const boot = createClient(ImageServiceClient, address, { tls: testClientTls("boot-service") });
    const anon = createClient(ImageServiceClient, address, { tls: testClientTls() });
    try {
      const who = async (c: typeof orch, o: object) => (await c.listImages(list, o)).images[0]?.project;
      // Interleaved on three connections: each answers its own certificate's name, every time.
      for (let i = 0; i < 5; i++) {
        assert.equal(await who(orch, {}), "orchestrator");
        assert.equal(await who(boot, {}), "boot-service");
        assert.equal(await who(anon, { authorization: basic("alice", "wonder") }), "", "no certificate: no service");
      }
      // Decoded once per connection with a certificate, not per call.
      assert.ok(decoded <= 2, `the peer certificate was decoded ${decoded} times for 15 calls on 3 connections`);
    } finally {
      TLSSocket.prototype.getPeerCertificate = decode;
      orch.close();
      boot.close();
      anon.close();
    }
  });

  it("maps domain errors to status codes and hides unexpected ones", async () => {
    const raw = new ImageServiceClient(address, grpc.credentials.createSsl(readFileSync(testPki().ca)));
    const md = new grpc.Metadata();
    md.set("authorization", "Bearer t0k3n");
    const call = (name: string) => new Promise<grpc.ServiceError>((resolve) =>
      raw.getImage({ project: "p", name }, md, (err) => resolve(err as grpc.ServiceError)));
    const nf = await call("missing");
    assert.equal(nf.code, grpc.status.NOT_FOUND);
    assert.equal(nf.details, "image missing not found");
    assert.equal((await call("busy")).code, grpc.status.FAILED_PRECONDITION);
    const internal = await call("boom");
    assert.equal(internal.code, grpc.status.INTERNAL);
    assert.equal(internal.details, "internal error");
    raw.close();
  });

  it("turns downstream status codes back into domain errors in the typed client", async () => {
    const c = createClient(ImageServiceClient, address, { tls: testClientTls() });
    await assert.rejects(c.getImage({ project: "p", name: "missing" }, { authorization: "Bearer t0k3n" }),
      (err: unknown) => err instanceof NotFoundError && err.message === "image missing not found");
    c.close();
  });

  it("a call takes its abort listener off a long-lived signal when it ends, and an abort still cancels a call", async () => {
    const c = createClient(ImageServiceClient, address, { tls: testClientTls() });
    const job = new AbortController();
    for (let i = 0; i < 20; i++) {
      await c.getImage({ project: "p", name: `n${i}` }, { authorization: "Bearer t0k3n", signal: job.signal });
    }
    await assert.rejects(c.getImage({ project: "p", name: "missing" }, { authorization: "Bearer t0k3n", signal: job.signal }),
      { code: "NOT_FOUND" });
    assert.equal(getEventListeners(job.signal, "abort").length, 0, "no listener left behind by finished calls");
    const slow = c.getImage({ project: "p", name: "slow" }, { authorization: "Bearer t0k3n", signal: job.signal });
    job.abort();
    await assert.rejects(slow, { code: "CANCELLED" });
    c.close();
  });

  it("a handler's signal aborts when its client cancels, and not once its call ended", async () => {
    const c = createClient(ImageServiceClient, address, { tls: testClientTls() });
    await c.getImage({ project: "p", name: "done" }, { authorization: "Bearer t0k3n" });
    const job = new AbortController();
    const waiting = c.getImage({ project: "p", name: "until-cancelled" }, { authorization: "Bearer t0k3n", signal: job.signal });
    while (!signals.has("until-cancelled")) await new Promise((r) => setTimeout(r, 10));
    job.abort();
    await assert.rejects(waiting, { code: "CANCELLED" });
    const cancelled = signals.get("until-cancelled")!;
    while (!cancelled.aborted) await new Promise((r) => setTimeout(r, 10));
    assert.equal((cancelled.reason as Error).message, "/bmi.image.v1.ImageService/GetImage: cancelled by the client");
    assert.equal(signals.get("done")?.aborted, false, "a call that ended is not cancelled after the fact");
    c.close();
  });

  it("shutdown drains an in-flight call, then stops accepting", async () => {
    const c = createClient(ImageServiceClient, address, { tls: testClientTls() });
    const slow = c.getImage({ project: "p", name: "slow" }, { authorization: "Bearer t0k3n", deadlineMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = server.shutdown();
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(checkHealth(address, "", 500, testPki().ca)); // no new calls once draining
    releaseSlow();
    const res = await slow;
    assert.equal(res.image?.name, "slow");
    await stopped;
    c.close();
  });
});
