import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { createClient } from "@bmi/grpc";
import { JobState, OrchestratorClient, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

const N = 50;
const names = (tag: string) => Array.from({ length: N }, (_, i) => `${tag}${String(i + 1).padStart(2, "0")}`);
let s: Stack;

before(async () => {
  // Six jobs per instance against bulk jobs ten wide: two instances are both needed, so both take work.
  s = await startStack({ tag: "xs-crash", orchEnv: { BMI_ORCH_MAX_JOBS: "6" } });
  await s.registerNodes([...names("c"), ...names("d")]);
  await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
});
after(() => s?.stop());

const ended = (j: Job | undefined) =>
  j !== undefined && [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_PARTIAL].includes(j.state);

async function bulk(nodes: string[], key: string): Promise<Job> {
  const { job } = await s.orch.bulkProvision({
    project: "p1", specs: { specs: nodes.map((node) => ({ node, image: "golden", disk: "", nic: "", network: "" })) },
    maxParallel: 10, minSuccess: 1, allOrNothing: false, options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: key,
  });
  return job!;
}

/** Every node is provisioned (one disk, one target, one boot config, all its own) or left with nothing. */
async function assertConsistent(nodes: string[], children: Job[]): Promise<number> {
  const disks = (await s.image.listDisks({ project: "p1" })).disks.filter((d) => nodes.some((n) => d.name.startsWith(`${n}-`)));
  const targets = (await s.target.listTargets({ project: "p1" })).targets.filter((t) => disks.some((d) => d.name === t.disk));
  const configs = (await s.boot.listBootConfigs({ project: "p1" })).configs.filter((c) => nodes.includes(c.node));
  const ok = children.filter((c) => c.state === JobState.JOB_STATE_SUCCEEDED);
  for (const c of children) assert.ok(ended(c), `${c.node} ${JobState[c.state]}`);
  assert.deepEqual(disks.map((d) => d.name).sort(), ok.map((c) => `${c.node}-1`).sort(), "one disk per provisioned node, no leaks");
  assert.equal(targets.length, ok.length, "one target per provisioned node");
  assert.deepEqual(configs.map((c) => c.node).sort(), ok.map((c) => c.node).sort(), "one boot config per provisioned node");
  return ok.length;
}

async function children(job: Job): Promise<Job[]> {
  return Promise.all(job.childIds.map(async (id) => (await s.orch.getJob({ id })).job!));
}

test("kill -9 the orchestrator in the middle of a 50-node bulk job; after a restart every node ends clean", async () => {
  const job = await bulk(names("c"), "crash-1");
  await until("some nodes done", async () => ((await s.orch.getJob({ id: job.id })).job?.succeeded ?? 0) >= 10);
  await s.orchestrators[0]!.kill();
  const mid = await s.redis.zcard(`${s.prefix}orch:runnable`);
  assert.ok(mid > 0, "jobs were in flight when it died");
  const next = await s.addOrchestrator();
  s.orch.close();
  const orch = createClient(OrchestratorClient, next.address, { tls: s.clientTls });
  s.orch = orch;
  const done = await until("bulk job", async () => { const j = (await orch.getJob({ id: job.id })).job; return ended(j) && j; }, 120_000);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  const kids = await children(done);
  assert.equal(await assertConsistent(names("c"), kids), N);
  // The same idempotency key answers the same job, even from the restarted instance.
  assert.equal((await bulk(names("c"), "crash-1")).id, job.id);
});

test("two orchestrators at once share a bulk job and do nothing twice", async () => {
  await s.addOrchestrator();
  const job = await bulk(names("d"), "two-1");
  const done = await until("bulk job", async () => { const j = (await s.orch.getJob({ id: job.id })).job; return ended(j) && j; }, 120_000);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  assert.equal(await assertConsistent(names("d"), await children(done)), N);
  const ranBy = new Set(await Promise.all(done.childIds.map((id) => s.redis.hget(`${s.prefix}orch:job:${id}`, "ranby"))));
  assert.equal(ranBy.size, 2, `children ran on ${[...ranBy].join(", ")}`);
});
