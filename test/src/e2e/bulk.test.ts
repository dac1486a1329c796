import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { buildDemoImage } from "../demo-image";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { BOOT_DEADLINE_MS } from "./flows";
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
  const boots = vms.map((vm) => vm.waitForExit(BOOT_DEADLINE_MS));
  for (const b of boots) b.catch(() => undefined);
  const started = Date.now();
  const { job } = await s.orch.bulkProvision({
    project: PROJECT, specs: { specs: vms.map((vm) => ({ node: vm.name, image: "demo", disk: "", nic: "", network: "" })) },
    maxParallel: COUNT, minSuccess: 0, options: { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 60 }, idempotencyKey: "bulk-e2e",
  });
  const done = assertSucceeded(await waitJob(s.orch, job?.id ?? "", BOOT_DEADLINE_MS));
  assert.equal(done.succeeded, COUNT);
  const results = await Promise.all(boots);
  const wall = Date.now() - started;
  for (const [i, r] of results.entries()) {
    assert.equal(r.exitCode, 99, vms[i]?.describe());
    assert.deepEqual(r.demo, { marker: "golden-bulk", counter: 0, saved: 1 }, vms[i]?.name);
  }
  console.log(`# bulk: ${COUNT} VMs provisioned and booted in ${wall} ms wall; boots ${results.map((r) => r.ms).join(", ")} ms`);
  const { nodes } = await s.orch.listProvisioned({ project: PROJECT });
  assert.equal(new Set(nodes.map((n) => n.disk)).size, COUNT, "one disk per node");
});
