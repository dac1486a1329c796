import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { AllocationClient, LeaseState, Placement } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "../support/stack";
import { bmi } from "../cli/bmi";

const P = "p1";
let s: Stack;
let alloc: PromiseClient<AllocationClient>;

/**
 * A lease whose end cannot deprovision a node (its power-off fails every time: BMI_ORCH_FAULTS power_off@ls1) is
 * not reported ended: it stays ENDING, names the stuck node with the end job's error, and `bmi lease show`/`ls` say
 * so. The failed end job has still cleared the node's boot configuration (boot_config runs before power_off), so
 * the node cannot network-boot its old disk; its target and disk wait for the power-off (a kept disk is never pulled
 * from under a running OS) and the node stays in the project (release comes last), held by the lease.
 */
before(async () => {
  s = await startStack({ tag: "lease-stuck", orchEnv: { BMI_ORCH_FAULTS: "power_off@ls1" } });
  alloc = createClient(AllocationClient, s.orchAddr, { deadlineMs: 30_000, tls: s.clientTls });
  await s.registerNodes(["ls1", "ls2"]);
  await s.image.importImage({ project: P, name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
});
after(async () => {
  alloc?.close();
  await s?.stop();
});

test("a lease whose end fails on a node stays ENDING with the stuck node, and bmi lease show and ls say so", async () => {
  const { lease } = await alloc.createLease({ project: P, nodes: { count: 2, selector: "", placement: Placement.PLACEMENT_SPREAD, minCount: 0 },
    image: "golden", network: "", start: undefined, end: undefined, durationSeconds: 3600, deleteDisks: true, powerCycle: false, dryRun: false });
  const id = lease!.id;
  await until("provisioned", async () => {
    const start = (await alloc.getLease({ id })).lease?.startJobs[0];
    return start !== undefined && (await s.orch.getJob({ id: start })).job?.state === JobState.JOB_STATE_SUCCEEDED;
  }, 60_000, 100);
  await alloc.endLease({ id });
  const stuck = await until("ls1 stuck", async () => {
    const l = (await alloc.getLease({ id })).lease;
    return l && l.stuckNodes.length > 0 && l;
  }, 60_000, 100);
  assert.equal(stuck.state, LeaseState.LEASE_STATE_ENDING);
  assert.deepEqual(stuck.stuckNodes.map((n) => n.node), ["ls1"]);
  assert.match(stuck.stuckNodes[0]!.error, /injected fault after power_off/);
  assert.equal(stuck.stuckNodes[0]!.attempts, 1);
  await until("ls2 deprovisioned", async () => (await s.orch.listProvisioned({ project: P })).nodes.map((n) => n.node).join() === "ls1", 60_000, 100);

  // The old disk cannot be network-booted: ls1's boot configuration is gone although its power-off failed.
  const configs = (await s.boot.listBootConfigs({ project: P })).configs;
  assert.deepEqual(configs.map((c) => c.node), [], "no boot configuration is left");

  const env = { BMI_ADDR: s.orchAddr, BMI_PROJECT: P };
  const show = await bmi(env, ["lease", "show", id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^state\s+ending, end failed on 1 node$/m);
  assert.match(show.stdout, /^stuck\s+ls1: .*injected fault after power_off.* \(1 failed end job, last [a-z0-9]+; next try /m);
  const ls = await bmi(env, ["lease", "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, new RegExp(`${id}\\s+ending, end failed on 1 node\\s`));
  const json = JSON.parse((await bmi(env, ["lease", "show", id, "--json"])).stdout) as { stuckNodes: Array<{ node: string }> };
  assert.deepEqual(json.stuckNodes.map((n) => n.node), ["ls1"]);
});
