import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ADMIN, harness } from "../testkit/harness";
import type { Requester } from "../jobs/caller";
import { allocationOn, until } from "../testkit/leases";
import { parseTemplate } from "./template";
import { nodeMetadata } from "./clusters";

const ROOT = path.resolve(__dirname, "../../../..");
const ALICE: Requester = { user: "alice", projects: ["p1"], admin: false, authorization: "" };
const BOB: Requester = { user: "bob", projects: ["p2"], admin: false, authorization: "" };
const NODES = Array.from({ length: 6 }, (_, i) => ({ name: `cn${i + 1}`, metadata: { rack: `r${i % 2}`, cpus: "16", memory_gib: "64", disk_gib: "500" } }));

test("the shipped templates parse, and bad templates are refused with what is wrong", () => {
  const names = ["hpc", "bigdata", "openstack"].map((n) => parseTemplate(readFileSync(path.join(ROOT, "deploy/clusters", `${n}.yaml`), "utf8")));
  assert.deepEqual(names.map((t) => t.roles.map((r) => `${r.name}:${r.order}`)), [["head:1", "compute:2"], ["master:1", "worker:2"], ["controller:1", "compute:2"]]);
  const bad: Array<[string, RegExp]> = [
    ["name: t\nroles: []", /roles must list 1 to 32 roles/],
    ["name: t\nroles: [{name: a, image: i}, {name: a, image: i}]", /role a is named twice/],
    ["name: t\nroles: [{name: a, image: '../etc'}]", /image name "\.\." is invalid/],
    ["name: t\nroles: [{name: a, image: i, count: 5, max: 2}]", /needs 1 <= min <= count <= max/],
    ["name: t\nroles: [{name: a, image: i, selector: 'cpus>=lots'}]", /is not a number/],
    ["name: t\nroles: [{name: a, image: i, metadata: {role: x}}]", /metadata key "role" is invalid or reserved/],
    ["name: t\nroles: [{name: a, image: i, metadata: {cluster_secret: x}}]", /metadata key "cluster_secret" is invalid or reserved/],
    ["name: [", /cluster template:/],
    ["users: [{name: admin}]", /^cluster template: no name \(a mapping with name and roles\)$/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseTemplate(text), { code: "INVALID_ARGUMENT", message: re }, text);
});

test("cluster up starts its roles in order with role and peers in every node's metadata; scale adds and removes; down leaves nothing", async (t) => {
  const h = await harness("cluster");
  const parts = allocationOn(h, NODES, async () => undefined, { pollMs: 25, recheckMs: 50, claimMs: 1000 });
  t.after(async () => { await parts.leases.stop(); await h.close(); });
  const c = parts.clusters;
  h.executor.delay("disk", 100);
  const template = readFileSync(path.join(ROOT, "deploy/clusters/hpc.yaml"), "utf8");
  // A dry run: the plan, and nothing in Redis.
  const keys = (await h.redis.keys(`${h.prefix}*`)).sort();
  const { plan } = await c.create(ALICE, "p1", "hpc1", template, 0, false, true);
  assert.deepEqual(plan!.nodes.map((n) => n.role), ["head", "compute", "compute"]);
  assert.deepEqual(plan!.problems, []);
  assert.ok(plan!.estimate.seconds > 0);
  assert.deepEqual((await h.redis.keys(`${h.prefix}*`)).sort(), keys, "a dry run wrote to Redis");

  const { cluster, lease } = await c.create(ALICE, "p1", "hpc1", template, 0, false, false);
  assert.ok(cluster && lease);
  await assert.rejects(c.create(ALICE, "p1", "hpc1", template, 0, false, false), { code: "ALREADY_EXISTS" });
  await assert.rejects(c.get(BOB, "p1", "hpc1"), { code: "NOT_FOUND" });
  await assert.rejects(c.delete(BOB, "p1", "hpc1"), { code: "NOT_FOUND" });
  await assert.rejects(c.scale(BOB, "p1", "hpc1", "compute", 3, false), { code: "NOT_FOUND" });
  await assert.rejects(c.scale(BOB, "p1", "hpc1", "compute", 3, true), { code: "NOT_FOUND" }, "not even a dry run's plan");
  assert.equal((await c.get(ALICE, "p1", "hpc1")).cluster.roles[1]!.nodes.length, 2, "bob's calls changed nothing");
  const head = cluster.roles[0]!.nodes;
  const computes = cluster.roles[1]!.nodes;
  assert.equal(head.length, 1);
  assert.equal(computes.length, 2);
  const meta = nodeMetadata(cluster);
  assert.equal(meta[head[0]!]!["role"], "head");
  assert.equal(meta[head[0]!]!["slurm_role"], "controller");
  assert.deepEqual(JSON.parse(meta[computes[0]!]!["peers"]!), { head, compute: computes });
  // Start order: the computes' job is made only once the head's has finished.
  const started = await until("both phases", async () => {
    const l = (await parts.leases.get(lease.id))!.lease;
    return l.startJobs.length === 2 && l;
  });
  const [headJob, computeJob] = await Promise.all(started.startJobs.map((id) => h.waitJob(id)));
  assert.equal(headJob!.state, "SUCCEEDED");
  assert.equal(computeJob!.state, "SUCCEEDED");
  assert.ok(new Date(computeJob!.created).getTime() >= new Date(headJob!.finished).getTime(), "computes started before the head was done");
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, 3);
  // Each node's OS is given its role and peers as its NoCloud user-data (one job per role), and the cluster's
  // secret (the Slurm image's munge key): the same on every node, made for this cluster, not in node_metadata.
  const secrets = new Set<string>();
  for (const id of [...headJob!.childIds, ...computeJob!.childIds]) {
    const child = (await h.engines[0]!.queries.job(id))!;
    const { cluster_secret: secret, ...told } = JSON.parse(child.spec.userData ?? "{}") as Record<string, string>;
    assert.deepEqual(told, meta[child.node]);
    assert.match(secret ?? "", /^[0-9a-f]{64}$/);
    secrets.add(secret!);
  }
  assert.equal(secrets.size, 1, "one secret per cluster");
  assert.ok(Object.values(meta).every((m) => !("cluster_secret" in m)), "node_metadata does not carry the secret");
  const other = await c.create(ALICE, "p1", "hpc2", "name: t\nroles: [{name: a, image: i}]", 0, false, false);
  assert.ok(other.cluster!.secret && !secrets.has(other.cluster!.secret), "another cluster gets another secret");
  await c.delete(ALICE, "p1", "hpc2");
  await until("hpc2 gone", async () => (await h.redis.exists(`${h.prefix}cluster:p1:hpc2`)) === 0 &&
    (await h.access.provisioned(ADMIN, "p1")).length === 3);

  // Scale: one more compute, then back to one.
  await assert.rejects(c.scale(ALICE, "p1", "hpc1", "compute", 65, false), /takes 1 to 64 nodes/);
  const up = await c.scale(ALICE, "p1", "hpc1", "compute", 3, false);
  const added = up.cluster!.roles[1]!.nodes.filter((n) => !computes.includes(n));
  assert.equal(added.length, 1);
  assert.deepEqual(JSON.parse(nodeMetadata(up.cluster!)[head[0]!]!["peers"]!).compute.length, 3);
  await until("the new compute provisioned", async () => (await h.access.provisioned(ADMIN, "p1")).length === 4 &&
    (await h.access.provisioned(ADMIN, "p1")).every((p) => p.state === "READY"));
  const down = await c.scale(ALICE, "p1", "hpc1", "compute", 1, false);
  assert.equal(down.cluster!.roles[1]!.nodes.length, 1);
  await until("scaled down", async () => (await h.access.provisioned(ADMIN, "p1")).length === 2);

  // Down: every node deprovisioned with its disk, released; the cluster and its reservation gone.
  await c.delete(ALICE, "p1", "hpc1");
  await until("cluster gone", async () => (await h.redis.exists(`${h.prefix}cluster:p1:hpc1`)) === 0);
  assert.equal((await h.access.provisioned(ADMIN, "p1")).length, 0);
  assert.equal(h.executor.world.disks.size, 0);
  assert.deepEqual(await h.redis.keys(`${h.prefix}sched:*`), []);
  assert.deepEqual(await c.list(ALICE, "p1"), []);
});
