import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { testClientTls } from "@bmi/testing";
import { AllocationClient, LeaseState } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { buildDemoImage } from "../demo-image";
import { startE2eStack, type E2eStack } from "../e2e/e2e-stack";
import { BOOT_DEADLINE_MS } from "../e2e/flows";
import { uploadRawImage } from "../e2e/upload";
import type { VmBoot, VmNode } from "../e2e/vm-node";
import { tgtdTargets } from "../chaos/audit";
import { until } from "../support/stack";

const PROJECT = "e2e";
// deploy/clusters/hpc.yaml's shape, small: one head, then two computes (up to three), all on the demo image.
const TEMPLATE = `
name: hpc-small
roles:
  - {name: head, image: demo, count: 1, order: 1, selector: "role-hint=head", metadata: {slurm_role: controller}}
  - {name: compute, image: demo, count: 2, max: 3, order: 2, selector: "role-hint=compute", metadata: {slurm_role: compute}}
`;
let s: E2eStack;
let alloc: PromiseClient<AllocationClient>;
let vms: VmNode[] = [];

before(async () => {
  s = await startE2eStack({ tag: "cluster" });
  alloc = createClient(AllocationClient, s.addresses.orch, { deadlineMs: 60_000, tls: testClientTls() });
  await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: "golden-cluster" }));
  for (const [i, hint] of ["head", "compute", "compute", "compute"].entries()) {
    const vm = await s.addVm(`clu-n${i + 1}`, `52:54:00:e2:08:0${i + 1}`);
    await s.orch.updateNode({ name: vm.name, nics: [], power: undefined, metadata: { "role-hint": hint, rack: `r${i % 2}` } });
    vms.push(vm);
  }
});
after(async () => {
  alloc?.close();
  await s?.stop();
});

/** Each VM's boot, with when it was powered on. */
function boots(list: VmNode[]): Promise<Array<VmBoot & { poweredOn: number }>> {
  return Promise.all(list.map(async (vm) => {
    const b = await vm.waitForExit(BOOT_DEADLINE_MS * 2);
    return { ...b, poweredOn: Date.now() - b.ms };
  }));
}

test("cluster up boots head then computes with role and peers in their metadata; scale adds a compute; down leaves nothing", { timeout: 600_000 }, async () => {
  const [head, c1, c2, c3] = vms as [VmNode, VmNode, VmNode, VmNode];
  for (const vm of vms) await vm.arm();
  const running = boots([head, c1, c2]);
  running.catch(() => undefined);
  const { cluster } = await alloc.createCluster({ project: PROJECT, name: "hpc1", template: TEMPLATE, end: undefined, powerCycle: true, dryRun: false });
  assert.ok(cluster);
  const roles = Object.fromEntries(cluster.roles.map((r) => [r.name, [...r.nodes].sort()]));
  assert.deepEqual(roles.head, ["clu-n1"]);
  assert.equal(roles.compute!.length, 2);
  const [hb, b1, b2] = await running;
  for (const b of [hb, b1, b2]) assert.equal(b!.exitCode, 99, vms.map((v) => v.describe()).join("\n"));
  for (const vm of vms) await vm.arm();
  console.log(`# cluster: head powered on at 0, computes at ${b1!.poweredOn - hb!.poweredOn} and ${b2!.poweredOn - hb!.poweredOn} ms`);
  assert.ok(b1!.poweredOn > hb!.poweredOn && b2!.poweredOn > hb!.poweredOn, "a compute was powered on before the head");
  // The computes' job was made once the head's had finished (its boot seen).
  const lease = (await alloc.getCluster({ project: PROJECT, name: "hpc1" })).cluster!.lease!;
  const [headJob, computeJob] = await Promise.all(lease.startJobs.map(async (id) => (await s.orch.getJob({ id })).job!));
  assert.ok(computeJob!.created!.getTime() >= headJob!.finished!.getTime(), "the computes started before the head was done");
  // Every node is told its role and its peers.
  const meta = (await alloc.getCluster({ project: PROJECT, name: "hpc1" })).cluster!.nodeMetadata;
  for (const [role, nodes] of Object.entries(roles)) {
    for (const node of nodes) {
      const m = JSON.parse(meta[node]!) as Record<string, string>;
      assert.equal(m["role"], role);
      assert.equal(m["cluster"], "hpc1");
      assert.equal(m["slurm_role"], role === "head" ? "controller" : "compute");
      assert.deepEqual(JSON.parse(m["peers"]!), { head: roles.head, compute: cluster.roles[1]!.nodes });
    }
  }

  // Scale: a third compute boots.
  const fourth = boots([c3]);
  fourth.catch(() => undefined);
  const scaled = (await alloc.scaleCluster({ project: PROJECT, name: "hpc1", role: "compute", count: 3, dryRun: false })).cluster!;
  assert.equal(scaled.roles[1]!.nodes.length, 3);
  const [b3] = await fourth;
  assert.equal(b3!.exitCode, 99, c3.describe());
  await c3.arm();
  assert.equal(JSON.parse(scaled.nodeMetadata["clu-n1"]!)["peers"] && JSON.parse(JSON.parse(scaled.nodeMetadata["clu-n1"]!)["peers"]).compute.length, 3);

  // Down: nothing left behind.
  await alloc.deleteCluster({ project: PROJECT, name: "hpc1" });
  await until("cluster gone", async () => (await alloc.listClusters({ project: PROJECT })).clusters.length === 0, 120_000, 250);
  assert.equal((await alloc.getLease({ id: lease.id })).lease!.state, LeaseState.LEASE_STATE_ENDED);
  assert.deepEqual((await s.orch.listProvisioned({ project: PROJECT })).nodes, []);
  assert.deepEqual((await s.image.listDisks({ project: PROJECT })).disks, []);
  assert.deepEqual((await s.target.listTargets({ project: PROJECT })).targets, []);
  for (const vm of vms) {
    assert.equal((await s.haas.getNode({ node: vm.name })).node?.project, "", `${vm.name} still allocated`);
    await assert.rejects(s.boot.getBootConfig({ node: vm.name }), { code: "NOT_FOUND" });
  }
  // DeleteTarget removes the target from tgtd before it returns (with force if a session were still open): no wait.
  // tgtd keeps one target of its own, target-service's store marker (...:bmi-store:<id>, no LUN, no ACL), which
  // lives as long as tgtd does; every other target must be gone.
  const listed = await s.tgtd.tgtadm(["--mode", "target", "--op", "show"]);
  console.log(`# tgtd after down: ${listed.split("\n").filter((l) => l.startsWith("Target ")).join("; ")}`);
  assert.deepEqual(await tgtdTargets(s.tgtd), [], listed);
});
