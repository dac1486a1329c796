import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { principalValue } from "@bmi/grpc";
import { tempDir } from "@bmi/testing";
import { QuotaKind } from "@bmi/proto/bmi/common/v1/common";
import { AuditRecord } from "@bmi/proto/bmi/events/v1/events";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { JobState, type ListAuditRecordsRequest } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

// The audit stream is shared by every stack on the machine: this file's project and nodes are its own.
const P = `aud${randomBytes(3).toString("hex")}`;
const OTHER = `${P}-other`;
const NODE = `${P}-n1`;
const DISK = `${NODE}-1`;
const BMC_NODE = `${P}-bmc`;
const chapSecrets: string[] = [];
const SECRETS = {
  alicePassword: `alice-pw-${randomBytes(6).toString("hex")}`,
  adminToken: `admin-token-${randomBytes(6).toString("hex")}`,
  bobToken: `bob-token-${randomBytes(6).toString("hex")}`,
  ipmiPassword: `ipmi-pw-${randomBytes(6).toString("hex")}`,
};
const ADMIN = { authorization: `Bearer ${SECRETS.adminToken}` };
const ALICE = { authorization: `Basic ${Buffer.from(`alice:${SECRETS.alicePassword}`).toString("base64")}` };
const BOB = { authorization: `Bearer ${SECRETS.bobToken}` };
const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
let s: Stack;

before(async () => {
  const dir = tempDir("bmi-audit-");
  const usersFile = path.join(dir, "users.yaml");
  await writeFile(usersFile, ["users:", `  - {name: admin, token: ${SECRETS.adminToken}, admin: true}`,
    `  - {name: alice, password: ${SECRETS.alicePassword}, projects: [${P}]}`, `  - {name: bob, token: ${SECRETS.bobToken}, projects: [${OTHER}]}`, ""].join("\n"));
  s = await startStack({ tag: "audit", auth: { usersFile, admin: ADMIN.authorization } });
  await s.orch.registerNode({ name: NODE, nics: [{ label: "eth0", mac: "52:54:00:a0:d1:01", networks: {} }], power: undefined, metadata: {} }, ADMIN);
  // A BMC password goes through the orchestrator to haas-gateway: neither may record it.
  await s.orch.registerNode({ name: BMC_NODE, nics: [{ label: "eth0", mac: "52:54:00:a0:d1:02", networks: {} }],
    power: { ipmi: { host: "127.0.0.1", user: "bmc", password: SECRETS.ipmiPassword } }, metadata: {} }, ADMIN);
  await s.image.importImage({ project: P, name: "golden", filePath: await goldenImage(s.dir, 1), format: ImageFormat.IMAGE_FORMAT_RAW, public: false }, ADMIN);
});
after(() => s?.stop());

/** One record as the test compares it: who, where, what, how it ended. */
const row = (r: AuditRecord) => [r.service, r.method.split("/").pop(), r.user, r.callerService, r.project, r.resources.join(","), r.code].join(" ");

async function records(req: Partial<ListAuditRecordsRequest>, as = ALICE): Promise<AuditRecord[]> {
  return (await s.orch.listAuditRecords({ project: P, user: "", resource: "", limit: 1000, since: undefined, until: undefined, ...req }, as)).records;
}

/** The records since `since` once `want` of them have arrived (and a moment more, for any extra to show). */
async function settled(since: Date, want: number): Promise<string[]> {
  await until(`${want} audit records`, async () => (await records({ since })).length >= want, 15_000, 100);
  await new Promise((r) => setTimeout(r, 500));
  return (await records({ since })).map(row).sort();
}

async function job(id: string): Promise<void> {
  const done = await until(`job ${id}`, async () => {
    const j = (await s.orch.getJob({ id }, ALICE)).job;
    return j && [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED].includes(j.state) && j;
  });
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
}

let jobId = "";

test("a provision leaves one record per mutating call: the user's, and each service's for the job's steps", async () => {
  const since = new Date();
  const { job: j } = await s.orch.provisionNode({ project: P, spec: { node: NODE, image: "golden", disk: "", nic: "", network: "" },
    options: OPTS, idempotencyKey: "" }, ALICE);
  jobId = j!.id;
  await job(jobId);
  const { target } = await s.target.getTarget({ project: P, disk: DISK }, ADMIN);
  chapSecrets.push(target!.chap!.secret);
  assert.deepEqual(await settled(since, 5), [
    `boot-service SetBootConfig alice orchestrator ${P} ${NODE} OK`,
    `haas-gateway AllocateNode alice orchestrator ${P} ${NODE} OK`,
    `image-service CreateDisk alice orchestrator ${P} ${DISK},golden OK`,
    `orchestrator ProvisionNode alice  ${P} ${NODE},golden,${jobId} OK`,
    `target-service CreateTarget alice orchestrator ${P} ${DISK} OK`,
  ]);
});

test("refused calls are recorded too, with their code; another project's member sees none of them", async () => {
  const since = new Date();
  await assert.rejects(s.orch.deprovisionNode({ project: P, node: NODE, deleteDisk: true, releaseNode: true, idempotencyKey: "" }, BOB));
  await assert.rejects(s.orch.setQuota({ project: P, quotas: [{ kind: QuotaKind.QUOTA_KIND_NODES, limit: 1, used: 0 }] }, ALICE));
  await assert.rejects(s.image.deleteImage({ project: P, name: "golden" }, BOB));
  assert.deepEqual(await settled(since, 3), [
    `image-service DeleteImage bob  ${P} golden NOT_FOUND`,
    `orchestrator DeprovisionNode bob  ${P} ${NODE} NOT_FOUND`,
    `orchestrator SetQuota alice  ${P}  PERMISSION_DENIED`,
  ]);
  await assert.rejects(records({ since }, BOB), (err: Error & { code?: string }) => err.code === "NOT_FOUND");
  assert.deepEqual(await records({ project: OTHER, since }, BOB), []);
  // Filters: by user and by resource.
  assert.deepEqual((await records({ since, user: "bob", resource: NODE })).map(row), [`orchestrator DeprovisionNode bob  ${P} ${NODE} NOT_FOUND`]);
});

test("a deprovision that deletes the disk and releases the node leaves exactly its records", async () => {
  const since = new Date();
  const { job: j } = await s.orch.deprovisionNode({ project: P, node: NODE, deleteDisk: true, releaseNode: true, idempotencyKey: "" }, ALICE);
  await job(j!.id);
  assert.deepEqual(await settled(since, 5), [
    `boot-service ClearBootConfig alice orchestrator ${P} ${NODE} OK`,
    `haas-gateway ReleaseNode alice orchestrator ${P} ${NODE} OK`,
    `image-service DeleteDisk alice orchestrator ${P} ${DISK} OK`,
    `orchestrator DeprovisionNode alice  ${P} ${NODE},${j!.id} OK`,
    `target-service DeleteTarget alice orchestrator ${P} ${DISK} OK`,
  ]);
});

test("admins see calls that named no project; members do not", async () => {
  const all = await records({ project: "", resource: NODE, since: new Date(Date.now() - 600_000) }, ADMIN);
  assert.ok(all.some((r) => row(r) === `orchestrator RegisterNode admin   ${NODE} OK`), all.map(row).join("\n"));
  assert.ok(all.some((r) => row(r) === `haas-gateway RegisterNode admin orchestrator  ${NODE} OK`), all.map(row).join("\n"));
  assert.ok((await records({ project: "", since: new Date(Date.now() - 600_000) })).every((r) => r.project === P));
});

test("no secret in any record or log line: passwords, tokens, CHAP secrets, forwarded principals", async () => {
  const forwarded = [principalValue({ user: "alice", projects: [P], admin: false }), principalValue({ user: "admin", projects: [], admin: true })];
  const secrets = [...Object.values(SECRETS), ...forwarded, ALICE.authorization.split(" ")[1]!];
  secrets.push(...chapSecrets);
  // This stack's records (the stream is shared): the project's, and the node registrations that named none.
  const since = new Date(Date.now() - 600_000);
  const mine = [...await records({ since }, ADMIN), ...await records({ project: "", resource: NODE, since }, ADMIN),
    ...await records({ project: "", resource: BMC_NODE, since }, ADMIN)];
  const trail = [...new Set(mine.map((r) => JSON.stringify(AuditRecord.toJSON(r))))];
  assert.ok(trail.length >= 17, `only ${trail.length} records`);
  assert.ok(chapSecrets.length === 1 && chapSecrets[0]!.length >= 12, "no CHAP secret to look for");
  const logs = await Promise.all(s.processes.map(async (p) => [p.name, await readFile(p.logFile, "utf8")] as const));
  const auditLines = logs.flatMap(([, text]) => text.split("\n").filter((l) => l.includes('"msg":"audit"')));
  assert.ok(auditLines.length >= trail.length, `${auditLines.length} audit log lines for ${trail.length} records`);
  for (const secret of secrets) {
    assert.ok(!trail.some((t) => t.includes(secret)), `a record holds ${secret}`);
    for (const [name, text] of logs) assert.ok(!text.includes(secret), `${name}'s log holds ${secret}`);
  }
});
