import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { buildDemoImage } from "../demo-image";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { bootThrough } from "./flows";
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
