import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { PermissionDeniedError } from "@bmi/errors";
import { silentLogger } from "@bmi/log";
import {
  DeleteImageResponse, GetImageResponse, ImageServiceClient, ImageServiceService, UploadImageResponse,
  type UploadImageRequest,
} from "@bmi/proto/bmi/image/v1/image";
import { tempDir, testClientTls, testPki } from "@bmi/testing";
import {
  auditSubjectOf, createClient, createServer, isMutating, staticAuth, type AccessTable, type AuditEntry, type BmiServer,
  type Handlers,
} from "./index";

it("audits every method but the reads", () => {
  const methods = ["GetImage", "ListImages", "WatchJob", "RenderScript", "DownloadImage", "UploadImage", "DeleteDisk",
    "SetQuota", "CancelJob", "ArmBootConfig"].map((m) => `/bmi.x.v1.X/${m}`);
  assert.deepEqual(methods.filter(isMutating).map((m) => m.split("/").pop()),
    ["UploadImage", "DeleteDisk", "SetQuota", "CancelJob", "ArmBootConfig"]);
});

it("takes the project and names from a request, never its other fields, bounded in number and length", () => {
  const req = {
    config: { node: "n1", project: "p1", macs: ["52:54:00:00:00:01"], chap: { user: "u", secret: "s3cret" } },
    power: { ipmi: { host: "h", user: "bmc", password: "pw" } }, authorization: "Bearer t0k3n",
  };
  assert.deepEqual(auditSubjectOf(req), { project: "p1", resources: ["n1"] });
  // boot-service binding a target to a node's address: the target and the address are named.
  assert.deepEqual(auditSubjectOf({ project: "p1", iqn: "iqn.2026-01.org.example:p1.n1-1", address: "10.0.0.5" }),
    { project: "p1", resources: ["iqn.2026-01.org.example:p1.n1-1", "10.0.0.5"] });
  const bulk = { project: "p1", specs: { specs: Array.from({ length: 50 }, (_, i) => ({ node: `n${i}`, image: "golden" })) } };
  const subject = auditSubjectOf(bulk);
  assert.equal(subject.resources.length, 32);
  assert.deepEqual(subject.resources.slice(0, 3), ["n0", "golden", "n1"]);
  assert.deepEqual(auditSubjectOf({ project: "x".repeat(70_000), name: "y".repeat(70_000) }),
    { project: "x".repeat(64), resources: ["y".repeat(128)] });
});

describe("the chassis records mutating calls", () => {
  let server: BmiServer;
  let client: ReturnType<typeof createClient<ImageServiceClient>>;
  const entries: AuditEntry[] = [];
  const dir = tempDir("bmi-audit-");
  const usersFile = path.join(dir, "users.yaml");
  writeFileSync(usersFile, "users:\n  - {name: alice, password: wonder, projects: [p1]}\n");
  const alice = `Basic ${Buffer.from("alice:wonder").toString("base64")}`;

  before(async () => {
    const impl = {
      getImage: async () => GetImageResponse.fromPartial({}),
      deleteImage: async (req: { name: string }) => {
        if (req.name === "held") throw new PermissionDeniedError("no");
        return DeleteImageResponse.fromPartial({});
      },
      uploadImage: async (reqs: AsyncIterable<UploadImageRequest>) => {
        for await (const _ of reqs) { /* read them all */ }
        return UploadImageResponse.fromPartial({});
      },
    };
    const other = async () => { throw new Error("not part of this test"); };
    const handlers = new Proxy(impl, { get: (t, k) => (t as Record<string | symbol, unknown>)[k] ?? other }) as unknown as
      Handlers<typeof ImageServiceService>;
    server = createServer({
      name: "image-service", log: silentLogger(), auth: staticAuth(usersFile), audit: { record: (e) => entries.push(e) },
      transport: { tls: true, files: testPki().files("image-service") },
    });
    server.add(ImageServiceService, handlers, new Proxy({}, { get: () => "member" }) as AccessTable<typeof ImageServiceService>);
    client = createClient(ImageServiceClient, `127.0.0.1:${await server.listen("127.0.0.1:0")}`, { tls: testClientTls() });
  });
  after(async () => {
    client.close();
    await server.shutdown();
  });

  it("accepted and refused, with who, project, names and code; reads leave nothing", async () => {
    await client.getImage({ project: "p1", name: "golden" }, { authorization: alice });
    await client.deleteImage({ project: "p1", name: "old" }, { authorization: alice, ctx: { requestId: "r-1", deadline: Date.now() + 5000, signal: new AbortController().signal } });
    await assert.rejects(client.deleteImage({ project: "p1", name: "held" }, { authorization: alice }));
    await assert.rejects(client.deleteImage({ project: "p1", name: "old" }, { authorization: "Bearer nobody" }));
    const brief = entries.map((e) => [e.service, e.method.split("/").pop(), e.caller.user, e.project, e.resources.join(","), e.code]);
    assert.deepEqual(brief, [
      ["image-service", "DeleteImage", "alice", "p1", "old", "OK"],
      ["image-service", "DeleteImage", "alice", "p1", "held", "PERMISSION_DENIED"],
      ["image-service", "DeleteImage", "", "p1", "old", "UNAUTHENTICATED"],
    ]);
    assert.equal(entries[0]!.requestId, "r-1");
  });

  it("a client stream's first message names it (an upload's header)", async () => {
    entries.length = 0;
    await new Promise<void>((resolve, reject) => {
      const call = client.raw.uploadImage(client.metadata({ authorization: alice }), client.callOptions(),
        (err: grpc.ServiceError | null) => (err ? reject(err) : resolve()));
      call.write({ header: { project: "p1", name: "up", format: 1, sizeBytes: 1, checksum: "", public: false } });
      call.write({ chunk: Buffer.from("x") });
      call.end();
    });
    assert.deepEqual(entries.map((e) => [e.method.split("/").pop(), e.project, e.resources, e.code]), [["UploadImage", "p1", ["up"], "OK"]]);
  });
});
