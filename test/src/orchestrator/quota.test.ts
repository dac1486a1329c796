import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { tempDir } from "@bmi/testing";
import { QuotaKind, type Quota } from "@bmi/proto/bmi/common/v1/common";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { JobState, type Job, type NodeSpec } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

// Node names are this file's own: NATS subjects are shared by every stack on the machine.
const NODES = ["qn1", "qn2", "qn3", "qn4", "qn5", "qn6"];
const ADMIN = { authorization: "Bearer admin-token" };
const ALICE = { authorization: `Basic ${Buffer.from("alice:alice-pw").toString("base64")}` };
const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
const END = [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_PARTIAL];
let s: Stack;

before(async () => {
  const dir = tempDir("bmi-quota-");
  const usersFile = path.join(dir, "users.yaml");
  await writeFile(usersFile, "users:\n  - {name: admin, token: admin-token, admin: true}\n  - {name: alice, password: alice-pw, projects: [qp]}\n");
  s = await startStack({ tag: "quota", auth: { usersFile, admin: ADMIN.authorization } });
  await s.registerNodes(NODES);
  await s.image.importImage({ project: "qp", name: "golden", filePath: await goldenImage(s.dir, 1), format: ImageFormat.IMAGE_FORMAT_RAW, public: false }, ADMIN);
});
after(() => s?.stop());

const spec = (node: string): NodeSpec => ({ node, image: "golden", disk: "", nic: "", network: "" });
const provision = (node: string) => s.orch.provisionNode({ project: "qp", spec: spec(node), options: OPTS, idempotencyKey: "" }, ALICE);
const bulk = (nodes: string[], minSuccess: number, allOrNothing = false) =>
  s.orch.bulkProvision({ project: "qp", specs: { specs: nodes.map(spec) }, maxParallel: 0, minSuccess, allOrNothing, options: OPTS, idempotencyKey: "" }, ALICE);
const done = (id: string) => until(`job ${id}`, async () => {
  const { job } = await s.orch.getJob({ id }, ALICE);
  return job && END.includes(job.state) && job;
});
const nodeQuota = async (): Promise<Quota> => (await s.orch.getQuota({ project: "qp" }, ALICE)).quotas.find((q) => q.kind === QuotaKind.QUOTA_KIND_NODES)!;
/** [limit, used] of the nodes quota, as a member sees it. */
const nodeUse = async () => {
  const q = await nodeQuota();
  return [q.limit, q.used];
};
const provisioned = async () => (await s.orch.listProvisioned({ project: "qp" }, ALICE)).nodes.map((n) => n.node).sort();
const exhausted = (err: unknown) => (err as { code?: string }).code === "RESOURCE_EXHAUSTED";

test("nodes quota: set by an admin only, seen by members; concurrent provisions never take more than the limit", async () => {
  await assert.rejects(s.orch.setQuota({ project: "qp", quotas: [{ kind: QuotaKind.QUOTA_KIND_NODES, limit: 2, used: 0 }] }, ALICE),
    (err: Error & { code?: string }) => err.code === "PERMISSION_DENIED");
  const set = await s.orch.setQuota({ project: "qp", quotas: [{ kind: QuotaKind.QUOTA_KIND_NODES, limit: 2, used: 0 }] }, ADMIN);
  // One answer for both owners: nodes here, disks, images and bytes from image-service.
  assert.deepEqual(set.quotas.map((q) => q.kind), [1, 2, 3, 4, 5]);
  assert.deepEqual(await nodeUse(), [2, 0]);

  const results = await Promise.allSettled(["qn1", "qn2", "qn3", "qn4"].map(provision));
  const accepted = results.filter((r): r is PromiseFulfilledResult<{ job: Job | undefined }> => r.status === "fulfilled");
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  assert.equal(accepted.length, 2, `accepted ${accepted.length} of 4`);
  for (const r of refused) {
    assert.ok(exhausted(r.reason), String(r.reason));
    assert.match((r.reason as Error).message, /^quota nodes of project qp: 2 of 2 in use$/);
  }
  for (const a of accepted) assert.equal((await done(a.value.job!.id)).state, JobState.JOB_STATE_SUCCEEDED);
  assert.deepEqual(await nodeUse(), [2, 2]);
  assert.equal((await provisioned()).length, 2);

  // A deprovision gives the node back.
  const first = (await provisioned())[0]!;
  const { job } = await s.orch.deprovisionNode({ project: "qp", node: first, deleteDisk: true, releaseNode: true, idempotencyKey: "" }, ALICE);
  assert.equal((await done(job!.id)).state, JobState.JOB_STATE_SUCCEEDED);
  assert.equal((await nodeQuota()).used, 1);
});

test("a bulk job at the edge: refused whole when fewer than min_success fit, else the nodes that fit run and the rest fail", async () => {
  const before = await provisioned();
  const free = NODES.filter((n) => !before.includes(n));
  // 1 of 2 left: all three nodes must succeed (all_or_nothing), so nothing is created.
  await assert.rejects(bulk(free.slice(0, 3), 0, true), (err: Error) =>
    exhausted(err) && /^quota nodes of project qp: 1 of 2 in use: this bulk job needs 3 of its 3 nodes and 1 fits?$/.test(err.message));
  assert.deepEqual(await provisioned(), before);

  // min_success 1: the first node runs, the other two fail at once, the job ends PARTIAL naming them.
  const { job } = await bulk(free.slice(0, 3), 1);
  const parent = await done(job!.id);
  assert.equal(parent.state, JobState.JOB_STATE_PARTIAL, parent.error);
  assert.deepEqual([parent.succeeded, parent.failed], [1, 2]);
  assert.deepEqual(parent.failures.map((f) => [f.spec?.node, f.error]),
    free.slice(1, 3).map((n) => [n, "quota nodes of project qp: 2 of 2 in use"]));
  const children = await Promise.all(parent.childIds.map(async (id) => (await s.orch.getJob({ id }, ALICE)).job!));
  const failed = children.filter((c) => c.state === JobState.JOB_STATE_FAILED);
  assert.deepEqual(failed.map((c) => c.node).sort(), free.slice(1, 3).sort());
  for (const c of failed) {
    assert.equal(c.error, "quota nodes of project qp: 2 of 2 in use");
    assert.ok(c.steps.every((st) => st.attempts === 0), `${c.node}: a step ran`);
  }
  assert.deepEqual(await provisioned(), [...before, free[0]!].sort());
  assert.equal((await nodeQuota()).used, 2);
});

test("a bulk job and a provision race for the last node: exactly one gets it", async () => {
  await s.orch.setQuota({ project: "qp", quotas: [{ kind: QuotaKind.QUOTA_KIND_NODES, limit: 3, used: 0 }] }, ADMIN);
  const taken = await provisioned();
  const left = NODES.filter((n) => !taken.includes(n));
  const [b, p] = await Promise.allSettled([bulk(left.slice(0, 2), 1), provision(left[2]!)]);
  const jobs = [b, p].flatMap((r) => (r.status === "fulfilled" ? [r.value.job!.id] : []));
  for (const r of [b, p]) if (r.status === "rejected") assert.ok(exhausted(r.reason), String(r.reason));
  assert.ok(jobs.length >= 1, "neither request was accepted");
  for (const id of jobs) await done(id);
  assert.equal((await provisioned()).length, 3);
  assert.deepEqual(await nodeUse(), [3, 3]);

  // Unlimited again: the next provision is accepted.
  await s.orch.setQuota({ project: "qp", quotas: [{ kind: QuotaKind.QUOTA_KIND_NODES, used: 0 }] }, ADMIN);
  const rest = NODES.filter((n) => !taken.includes(n) && !left.slice(0, 3).includes(n));
  assert.equal((await done((await provision(rest[0]!)).job!.id)).state, JobState.JOB_STATE_SUCCEEDED);
  assert.deepEqual(await nodeUse(), [undefined, 4]);
});
