import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { QuotaKind } from "@bmi/proto/bmi/common/v1/common";
import { AllocationClient, Placement } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "../support/stack";
import { backEndState, servedScripts } from "../security/back-ends";
import { bmi } from "../cli/bmi";

const P = "p1";
const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };
let s: Stack;
let alloc: PromiseClient<AllocationClient>;

/** The scheduler's, leases' and clusters' own keys, each with a hash of its value (backEndState counts leases volatile). */
async function allocationKeys(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const pattern of ["lease*", "sched:*", "cluster:*", "quota:*", "prov*", "lock:*"]) {
    for (const k of await s.redis.keys(`${s.prefix}orch:${pattern}`)) {
      const dump = await s.redis.dumpBuffer(k);
      out[k] = dump ? createHash("sha256").update(dump).digest("hex").slice(0, 16) : "";
    }
  }
  return Object.fromEntries(Object.entries(out).sort());
}

/**
 * backEndState without the keys the orchestrator's boot-event consumer writes as NATS delivers boot events (the
 * fetches of servedScripts, and other stacks' nodes on the machine's shared NATS): no request makes those.
 */
async function withoutBootEvents(): Promise<Record<string, unknown>> {
  const state = await backEndState(s);
  const redis = Object.fromEntries(Object.entries(state["redis"] as Record<string, string>).filter(([k]) => !/:orch:(bootdedupe|nodeboot):/.test(k)));
  return { ...state, redis };
}

before(async () => {
  s = await startStack({ tag: "dryrun" });
  alloc = createClient(AllocationClient, s.orchAddr, { deadlineMs: 30_000, tls: s.clientTls });
  await s.registerNodes(["dr1", "dr2", "dr3", "dr4", "dr5"]);
  for (const [i, n] of ["dr1", "dr2", "dr3", "dr4", "dr5"].entries()) {
    await s.orch.updateNode({ name: n, nics: [], power: undefined, metadata: { rack: `r${i % 2}`, cpus: i < 3 ? "32" : "8" } });
  }
  await s.image.importImage({ project: P, name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
  // State to keep: a provisioned node (disk, target, boot script), a quota, a future lease holding a node.
  const { job } = await s.orch.provisionNode({ project: P, spec: { node: "dr1", image: "golden", disk: "", nic: "", network: "" }, options: OPTS, idempotencyKey: "" });
  await until("provisioned", async () => (await s.orch.getJob({ id: job!.id })).job?.state === JobState.JOB_STATE_SUCCEEDED, 60_000, 100);
  await s.orch.setQuota({ project: P, quotas: [{ kind: QuotaKind.QUOTA_KIND_NODES, used: 0, limit: 3 }] });
  await alloc.createLease({ project: P, nodes: { count: 1, selector: "cpus>=32", placement: Placement.PLACEMENT_SPREAD, minCount: 0 }, image: "golden",
    network: "", start: new Date(Date.now() + 3600_000), end: undefined, durationSeconds: 3600, deleteDisks: true, powerCycle: false, dryRun: false });
});
after(async () => {
  alloc?.close();
  await s?.stop();
});

test("dry runs of bulk, lease and cluster requests answer their plan and change nothing in Redis, storage, tgtd or boot scripts", async () => {
  const macs = ["52:54:00:00:00:01", "52:54:00:00:00:02"];
  const scripts = await servedScripts(s, macs);
  await new Promise((r) => setTimeout(r, 3000)); // the fetches are boot events: let them be recorded first
  const state = await withoutBootEvents();
  const keys = await allocationKeys();

  const bulk = (await alloc.allocateBulk({ project: P, nodes: { count: 1, selector: "cpus>=32", placement: Placement.PLACEMENT_SPREAD, minCount: 0 },
    image: "golden", network: "", maxParallel: 0, minSuccess: 0, allOrNothing: false, options: OPTS, idempotencyKey: "", dryRun: true })).plan!;
  assert.equal(bulk.nodes.length, 1);
  assert.ok(["dr2", "dr3"].includes(bulk.nodes[0]!.node), "dr1 is provisioned, and one of dr2/dr3 is leased later: both still free now");
  assert.equal(bulk.nodes[0]!.image, "golden");
  assert.deepEqual([bulk.quotaLimit, bulk.quotaUsed, bulk.quotaAfter], [3, 2, 3]);
  assert.deepEqual(bulk.problems, []);
  assert.ok(bulk.estimateSeconds > 0 && /benchmarks/.test(bulk.estimateBasis));

  // A lease overlapping the future lease: the cpus>=32 nodes left are one; the quota is 3 with 2 held.
  const lease = (await alloc.createLease({ project: P, nodes: { count: 2, selector: "cpus>=32", placement: Placement.PLACEMENT_PACK, minCount: 0 },
    image: "nosuch", network: "", start: new Date(Date.now() + 1800_000), end: undefined, durationSeconds: 7200, deleteDisks: false, powerCycle: true, dryRun: true })).plan!;
  assert.deepEqual(lease.nodes, []);
  assert.match(lease.problems.join("\n"), /only 1 of the 2 unallocated nodes matching cpus>=32 are free then, 2 requested/);
  assert.match(lease.problems.join("\n"), /image nosuch not found/);

  const cluster = (await alloc.createCluster({ project: P, name: "c1", end: undefined, powerCycle: true, dryRun: true,
    template: "name: t\nroles:\n  - {name: head, image: golden, count: 1, selector: 'cpus>=32'}\n  - {name: work, image: golden, count: 2, order: 2}\n" })).plan!;
  assert.deepEqual(cluster.nodes.map((n) => n.role), ["head", "work", "work"]);
  assert.equal(new Set(cluster.nodes.map((n) => n.node)).size, 3);
  assert.match(cluster.problems.join("\n"), /quota nodes of project p1: 2 of 3 in use, 3 more requested/);

  assert.deepEqual(await allocationKeys(), keys, "a dry run changed the scheduler's, a lease's or a cluster's keys");
  assert.deepEqual(await withoutBootEvents(), state, "a dry run changed Redis, tgtd or the image store");
  assert.deepEqual(await servedScripts(s, macs), scripts, "a dry run changed a boot script");
  assert.deepEqual((await alloc.listClusters({ project: P })).clusters, []);
  assert.equal((await alloc.listLeases({ project: P })).leases.length, 1);
});

test("as a user would: bmi node label, bulk --dry-run, lease create|ls|show|extend|end, cluster up --dry-run", async () => {
  const env = { BMI_ADDR: s.orchAddr, BMI_IMAGE_ADDR: s.imageAddr, BMI_PROJECT: P };
  const run = async (...args: string[]) => {
    const r = await bmi(env, args);
    assert.equal(r.code, 0, `bmi ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  assert.match(await run("node", "label", "dr4", "gpu=true", "nic_gbps=25"), /labelled node dr4: .*gpu=true/);
  assert.match(await run("node", "ls", "--free"), /dr4 .*gpu=true/);
  const plan = await run("bulk", "--count", "1", "--image", "golden", "--selector", "gpu=true", "--dry-run");
  assert.match(plan, /dry run: nothing was changed/);
  assert.match(plan, /dr4 +- +golden +r1/);
  const lease = JSON.parse(await run("lease", "create", "--count", "1", "--image", "golden", "--selector", "gpu=true,nic_gbps>=10",
    "--start", "+30m", "--duration", "1h", "--json")) as { id: string; nodes: Array<{ node: string }> };
  assert.deepEqual(lease.nodes.map((n) => n.node), ["dr4"]);
  assert.match(await run("lease", "ls"), new RegExp(`${lease.id} +pending +1`));
  assert.match(await run("lease", "extend", lease.id, "--by", "2h"), /state +pending/);
  assert.match(await run("lease", "show", lease.id), /NODE +ROLE +IMAGE +RACK\s+dr4/);
  // Held from its start: a bulk job now does not get it.
  const taken = await bmi(env, ["bulk", "--count", "1", "--image", "golden", "--selector", "gpu=true"]);
  assert.equal(taken.code, 4, taken.stderr);
  assert.match(taken.stderr, /only 0 of the 1 unallocated nodes matching gpu=true are free, 1 requested/);
  await run("lease", "end", lease.id);
  await until("lease ended", async () => /state +ended/.test(await run("lease", "show", lease.id)), 30_000, 200);
  assert.match(await run("quota", "set", "nodes=unlimited"), /nodes +unlimited/);
  const cluster = await run("cluster", "up", "c2", path.join(REPO_ROOT, "deploy/clusters/hpc.yaml"), "--image", "head=golden", "--image", "compute=golden",
    "--count", "compute=1", "--dry-run");
  assert.match(cluster, /head +golden/);
  assert.match(cluster, /compute +golden/);
  assert.match(cluster, /estimate +\d/);
});
