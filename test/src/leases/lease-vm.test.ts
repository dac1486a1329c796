import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { testClientTls } from "@bmi/testing";
import { AllocationClient, LeaseState, Placement, type Lease } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { buildDemoImage } from "../demo-image";
import { startE2eStack, type E2eStack } from "../e2e/e2e-stack";
import { BOOT_DEADLINE_MS } from "../e2e/flows";
import { uploadRawImage } from "../e2e/upload";
import type { VmNode } from "../e2e/vm-node";
import { until } from "../support/stack";

const PROJECT = "e2e";
let s: E2eStack;
let alloc: PromiseClient<AllocationClient>;
let vms: VmNode[] = [];

before(async () => {
  s = await startE2eStack({ tag: "lease" });
  alloc = createClient(AllocationClient, s.addresses.orch, { deadlineMs: 60_000, tls: testClientTls() });
  await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: "golden-lease" }));
  vms = [await s.addVm("lease-a", "52:54:00:e2:07:01"), await s.addVm("lease-b", "52:54:00:e2:07:02")];
  // Labels: the lease's selector finds each VM by its own.
  for (const vm of vms) await s.orch.updateNode({ name: vm.name, nics: [], power: undefined, metadata: { vm: vm.name, cpus: "1" } });
});
after(async () => {
  alloc?.close();
  await s?.stop();
});

const request = (vm: string, start: Date | undefined, seconds: number) => ({
  project: PROJECT, nodes: { count: 1, selector: `vm=${vm},cpus>=1`, placement: Placement.PLACEMENT_SPREAD, minCount: 0 }, image: "demo",
  network: "", start, end: undefined, durationSeconds: seconds, deleteDisks: true, powerCycle: true, dryRun: false,
});
const get = async (id: string): Promise<Lease> => (await alloc.getLease({ id })).lease!;

/** The node is no longer provisioned, its disk and target are gone, and HIL (the gateway) holds it for nobody. */
async function released(node: string): Promise<void> {
  assert.deepEqual((await s.orch.listProvisioned({ project: PROJECT })).nodes.filter((n) => n.node === node), []);
  assert.deepEqual((await s.image.listDisks({ project: PROJECT })).disks.filter((d) => d.name.startsWith(`${node}-`)), []);
  assert.equal((await s.haas.getNode({ node })).node?.project, "");
}

test("a lease boots its VM, and ends on time even though the orchestrator was killed and restarted during it", { timeout: 300_000 }, async () => {
  const [vm] = vms;
  await vm!.arm();
  const boot = vm!.waitForExit(BOOT_DEADLINE_MS);
  const { lease } = await alloc.createLease(request("lease-a", undefined, 45));
  assert.ok(lease);
  assert.deepEqual(lease.nodes.map((n) => n.node), ["lease-a"]);
  const result = await boot;
  assert.equal(result.exitCode, 99, vm!.describe());
  assert.equal(result.demo?.marker, "golden-lease");
  await vm!.arm();
  assert.equal((await get(lease.id)).state, LeaseState.LEASE_STATE_ACTIVE);
  // The orchestrator dies during the lease; a new one takes over its timers.
  await s.restartOrchestrator();
  const end = lease.end!.getTime();
  await until("just before the end", async () => Date.now() > end - 2000, 120_000, 200);
  assert.equal((await get(lease.id)).state, LeaseState.LEASE_STATE_ACTIVE, "ended early");
  const ended = await until("lease ended", async () => (await get(lease.id)).state === LeaseState.LEASE_STATE_ENDED && Date.now(), 60_000, 200);
  console.log(`# lease: ended ${ended - end} ms after its end (restart of the orchestrator during the lease)`);
  assert.ok(ended - end < 20_000, `ended ${ended - end} ms late`);
  await released("lease-a");
});

test("a future lease starts on time and holds its node until then; extend and early end", { timeout: 300_000 }, async () => {
  const vm = vms[1]!;
  await vm.arm();
  const boot = vm.waitForExit(BOOT_DEADLINE_MS + 15_000);
  const start = new Date(Date.now() + 8000);
  const { lease } = await alloc.createLease(request("lease-b", start, 600));
  assert.equal(lease?.state, LeaseState.LEASE_STATE_PENDING);
  // Held from its start: an open-ended request does not get it; the plan says so and changes nothing.
  await assert.rejects(alloc.createLease({ ...request("lease-b", undefined, 3600) }), /only 0 of the 1 unallocated nodes matching vm=lease-b,cpus>=1 are free/);
  const { plan } = await alloc.createLease({ ...request("lease-b", undefined, 3600), dryRun: true });
  assert.match(plan!.problems.join(";"), /only 0 of the 1/);
  assert.deepEqual((await s.orch.listProvisioned({ project: PROJECT })).nodes, []);
  const result = await boot;
  const poweredOn = Date.now() - result.ms;
  console.log(`# future lease: powered on ${poweredOn - start.getTime()} ms after its start`);
  assert.ok(poweredOn >= start.getTime() - 500, `powered on ${start.getTime() - poweredOn} ms before its start`);
  assert.equal(result.exitCode, 99, vm.describe());
  await vm.arm();
  const extended = (await alloc.updateLease({ id: lease!.id, end: new Date(lease!.end!.getTime() + 3600_000) })).lease!;
  assert.equal(extended.end!.getTime(), lease!.end!.getTime() + 3600_000);
  const t0 = Date.now();
  await alloc.endLease({ id: lease!.id });
  await until("ended early", async () => (await get(lease!.id)).state === LeaseState.LEASE_STATE_ENDED, 60_000, 200);
  console.log(`# early end: ended ${Date.now() - t0} ms after EndLease`);
  await released("lease-b");
  await assert.rejects(alloc.updateLease({ id: lease!.id, end: new Date(Date.now() + 60_000) }), /is ended/);
});
