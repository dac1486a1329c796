import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { buildDemoImage } from "../demo-image";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { JobKind, JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { bootThrough, expectNoBoot } from "./flows";
import { assertSucceeded, waitJob } from "./jobs";
import { uploadRawImage } from "./upload";
import type { VmNode } from "./vm-node";

const PROJECT = "e2e";
const COUNT = 4;
let s: E2eStack;
let vms: VmNode[] = [];

before(async () => {
  s = await startE2eStack({ tag: "bulk" });
  await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: "golden-bulk" }));
  vms = await Promise.all(Array.from({ length: COUNT }, (_, i) => s.addVm(`bulk-n${i + 1}`, `52:54:00:e2:03:${String(i + 1).padStart(2, "0")}`)));
});
after(() => s?.stop());

test(`a bulk job provisions ${COUNT} VM nodes and they all boot their own clones at once`, { timeout: 240_000 }, async () => {
  const started = Date.now();
  const { job, boots: results } = await bootThrough(s.orch, vms, () => s.orch.bulkProvision({
    project: PROJECT, specs: { specs: vms.map((vm) => ({ node: vm.name, image: "demo", disk: "", nic: "", network: "" })) },
    maxParallel: COUNT, minSuccess: 0, allOrNothing: true, options: { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 60 }, idempotencyKey: "bulk-e2e",
  }));
  const wall = Date.now() - started;
  assert.equal(job.succeeded, COUNT);
  for (const [i, r] of results.entries()) {
    assert.equal(r.exitCode, 99, vms[i]?.describe());
    assert.deepEqual(r.demo, { marker: "golden-bulk", counter: 0, saved: 1 }, vms[i]?.name);
  }
  console.log(`# bulk: ${COUNT} VMs provisioned and booted in ${wall} ms wall; boots ${results.map((r) => r.ms).join(", ")} ms`);
  const { nodes } = await s.orch.listProvisioned({ project: PROJECT });
  assert.equal(new Set(nodes.map((n) => n.disk)).size, COUNT, "one disk per node");
});

test(`BulkDeprovision releases the ${COUNT} nodes in one job: no disk, target, boot config or allocation left, no VM boots`, { timeout: 240_000 }, async (ctx) => {
  const provisioned = (await s.orch.listProvisioned({ project: PROJECT })).nodes;
  if (provisioned.length !== COUNT) return ctx.skip("the bulk provision above did not leave its nodes provisioned");
  // A node the project does not hold refuses the request whole: nothing is deprovisioned.
  const names = vms.map((vm) => vm.name);
  await assert.rejects(s.orch.bulkDeprovision({ project: PROJECT, nodes: [names[0]!, "nosuch"], all: false, deleteDisk: true,
    releaseNode: true, maxParallel: 0, idempotencyKey: "" }), { code: "NOT_FOUND", message: /node nosuch is not provisioned in project e2e/ });
  assert.equal((await s.orch.listProvisioned({ project: PROJECT })).nodes.length, COUNT);
  const started = Date.now();
  const { job } = await s.orch.bulkDeprovision({ project: PROJECT, nodes: names, all: false, deleteDisk: true, releaseNode: true,
    maxParallel: 2, idempotencyKey: "bulk-dpro-e2e" });
  assert.equal(job?.kind, JobKind.JOB_KIND_BULK);
  assert.equal(job?.childKind, JobKind.JOB_KIND_DEPROVISION);
  const done = assertSucceeded(await waitJob(s.orch, job!.id));
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED);
  assert.deepEqual([done.total, done.succeeded, done.failed, done.cancelled], [COUNT, COUNT, 0, 0]);
  console.log(`# bulk deprovision: ${COUNT} VM nodes released in ${Date.now() - started} ms wall`);
  for (const id of done.childIds) {
    const child = (await s.orch.getJob({ id })).job!;
    assert.equal(child.kind, JobKind.JOB_KIND_DEPROVISION);
    assertSucceeded(child);
  }
  assert.deepEqual((await s.orch.listProvisioned({ project: PROJECT })).nodes, []);
  assert.deepEqual((await s.image.listDisks({ project: PROJECT })).disks, []);
  assert.deepEqual((await s.target.listTargets({ project: PROJECT })).targets, []);
  assert.doesNotMatch(await s.tgtd.tgtadm(["--mode", "target", "--op", "show"]), /bulk-n\d/);
  assert.deepEqual((await s.boot.listBootConfigs({ project: PROJECT })).configs, []);
  for (const name of names) assert.equal((await s.haas.getNode({ node: name })).node?.project, "", `${name} released`);
  // With nothing provisioned, `all` has nothing to do; a VM that powers on by itself boots nothing.
  await assert.rejects(s.orch.bulkDeprovision({ project: PROJECT, nodes: [], all: true, deleteDisk: true, releaseNode: true,
    maxParallel: 0, idempotencyKey: "" }), { code: "FAILED_PRECONDITION", message: /project e2e has no provisioned node/ });
  await expectNoBoot(vms[0]!);
});
