import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, it } from "node:test";
import { createClient, staticAuth, type PromiseClient } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { QuotaKind, type Quota } from "@bmi/proto/bmi/common/v1/common";
import { ImageFormat, ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { tempDir, testClientTls, testPki } from "@bmi/testing";
import { writeFileSync } from "node:fs";
import { LocalDriver } from "./drivers/local";
import { createImageServer, type ImageServer } from "./server";
import { AS, rejectsWith, run, sparseImage, upload } from "./testkit/harness";

const MiB = 1 << 20;
const K = QuotaKind;
const dataDir = tempDir("bmi-quota-images-");
const quotaFile = path.join(dataDir, "quotas.json");
let svc: ImageServer;
let client: PromiseClient<ImageServiceClient>;

async function start(): Promise<void> {
  const usersFile = path.join(tempDir("bmi-quota-users-"), "users.yaml");
  writeFileSync(usersFile, "users:\n  - {name: alice, token: alice-token, projects: [pa]}\n  - {name: root, token: root-token, admin: true}\n");
  svc = await createImageServer({
    driver: new LocalDriver({ dataDir, log: silentLogger() }), log: silentLogger(), auth: staticAuth(usersFile), quotaFile,
    transport: { tls: true, files: testPki().files("image-service") }, shutdownGraceMs: 2000,
  });
  const port = await svc.server.listen("127.0.0.1:0");
  // The orchestrator's certificate: disks and snapshots are its internal RPCs, made for the member named.
  client = createClient(ImageServiceClient, `127.0.0.1:${port}`, { deadlineMs: 60_000, tls: testClientTls("orchestrator") });
}
async function stop(): Promise<void> {
  client?.close();
  await svc?.server.shutdown();
}
before(start);
after(stop);

const alice = { authorization: AS.alice };
const limits = (quotas: Array<[QuotaKind, number | undefined]>): Quota[] =>
  quotas.map(([kind, limit]) => ({ kind, used: 0, ...(limit === undefined ? {} : { limit }) }));
const setQuota = (quotas: Array<[QuotaKind, number | undefined]>) =>
  client.setQuota({ project: "pa", quotas: limits(quotas) }, { authorization: AS.admin });
const use = async () => Object.fromEntries((await client.getQuota({ project: "pa" }, alice)).quotas.map((q) => [K[q.kind], [q.limit, q.used]]));
const raw = (name: string, mib: number) => upload(client, AS.alice, { project: "pa", name, format: ImageFormat.IMAGE_FORMAT_RAW }, sparseImage(mib, [0]));
const files = async () => (await readdir(path.join(dataDir, "images"))).length + (await readdir(path.join(dataDir, "disks"))).length;
const exhausted = (line: RegExp) => (err: Error & { code?: string }) => err.code === "RESOURCE_EXHAUSTED" && line.test(err.message);

it("images: admins set the limits, members read them; two uploads racing for the last image cannot both have it", async () => {
  await rejectsWith(client.setQuota({ project: "pa", quotas: limits([[K.QUOTA_KIND_IMAGES, 1]]) }, alice), "PERMISSION_DENIED");
  await rejectsWith(setQuota([[K.QUOTA_KIND_NODES, 1]]), "INVALID_ARGUMENT");
  await setQuota([[K.QUOTA_KIND_IMAGES, 2]]);
  await raw("a", 2);
  const race = await Promise.allSettled([raw("b", 2), raw("c", 2)]);
  assert.deepEqual(race.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  const refused = race.find((r): r is PromiseRejectedResult => r.status === "rejected")!;
  assert.ok(exhausted(/^quota images of project pa: 2 of 2 in use$/)(refused.reason), String(refused.reason));
  assert.deepEqual((await use()).QUOTA_KIND_IMAGES, [2, 2]);
  await rejectsWith(client.copyImage({ project: "pa", name: "a", newName: "a2", newProject: "" }, alice), "RESOURCE_EXHAUSTED");
});

it("stored and virtual bytes: a qcow2 counts its virtual size; refused before its bytes are stored, nothing kept", async () => {
  await setQuota([[K.QUOTA_KIND_IMAGES, undefined], [K.QUOTA_KIND_STORED_BYTES, 8 * MiB], [K.QUOTA_KIND_VIRTUAL_BYTES, 12 * MiB]]);
  const held = await files();
  await assert.rejects(raw("big", 6), exhausted(/^quota stored_bytes of project pa: 4194304 of 8388608 in use \(6291456 more requested\)$/));
  // A few hundred KiB of qcow2 that says 64 MiB: the virtual size is what counts.
  const dir = tempDir("bmi-quota-qcow2-");
  await run("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dir, "x.qcow2"), "64M"]);
  const qcow2 = await readFile(path.join(dir, "x.qcow2"));
  await assert.rejects(upload(client, AS.alice, { project: "pa", name: "sparse", format: ImageFormat.IMAGE_FORMAT_QCOW2 }, qcow2),
    exhausted(/^quota virtual_bytes of project pa: 4194304 of 12582912 in use \(67108864 more requested\)$/));
  assert.equal(await files(), held, "a refused upload left files");
  await raw("fits", 4);
  assert.deepEqual((await use()).QUOTA_KIND_STORED_BYTES, [8 * MiB, 8 * MiB]);
});

it("disks count against disks and virtual bytes (their full size), snapshots against images and bytes; deleting gives back", async () => {
  await setQuota([[K.QUOTA_KIND_STORED_BYTES, undefined], [K.QUOTA_KIND_DISKS, 1]]);
  await client.createDisk({ project: "pa", name: "d1", image: "a" }, alice);
  assert.deepEqual((await client.createDisk({ project: "pa", name: "d1", image: "a" }, alice)).created, false, "an idempotent repeat is not counted");
  await assert.rejects(client.createDisk({ project: "pa", name: "d2", image: "a" }, alice), exhausted(/^quota disks of project pa: 1 of 1 in use$/));
  await setQuota([[K.QUOTA_KIND_DISKS, 5]]);
  // 8 MiB of images and 2 MiB of disk: 12 MiB allows one more 2 MiB disk, not a 4 MiB one.
  await client.createDisk({ project: "pa", name: "d2", image: "a" }, alice);
  await assert.rejects(client.createDisk({ project: "pa", name: "d3", image: "fits" }, alice), exhausted(/^quota virtual_bytes of project pa: 12582912 of 12582912 in use/));
  await assert.rejects(client.createSnapshot({ project: "pa", disk: "d1", name: "snap" }, alice), exhausted(/^quota virtual_bytes/));
  await client.deleteDisk({ project: "pa", name: "d2" }, alice);
  await client.createSnapshot({ project: "pa", disk: "d1", name: "snap" }, alice);
  const u = await use();
  assert.deepEqual([u.QUOTA_KIND_DISKS, u.QUOTA_KIND_IMAGES, u.QUOTA_KIND_VIRTUAL_BYTES, u.QUOTA_KIND_STORED_BYTES],
    [[5, 1], [undefined, 4], [12 * MiB, 12 * MiB], [undefined, 10 * MiB]]);
});

it("limits survive a restart (kept in the data directory); another project's member sees nothing", async () => {
  await stop();
  await start();
  const u = await use();
  assert.deepEqual([u.QUOTA_KIND_DISKS, u.QUOTA_KIND_VIRTUAL_BYTES], [[5, 1], [12 * MiB, 12 * MiB]]);
  await rejectsWith(client.getQuota({ project: "pb" }, alice), "NOT_FOUND");
});
