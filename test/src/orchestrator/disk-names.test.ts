import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { JobState, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

// The per-node disk counter lives only in Redis, the disks in image-service's storage. A flushed or lost Redis, or a
// new BMI_REDIS_PREFIX, used to make the next provision fail with "disk <project>/<node>-1 exists".
let s: Stack;

before(async () => {
  s = await startStack({ tag: "xs-disk-names" });
  await s.registerNodes(["n1"]);
  await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: true });
});
after(() => s?.stop());

async function run(job: Promise<{ job?: Job | undefined }>): Promise<Job> {
  const { id } = (await job).job!;
  const done = await until(`job ${id}`, async () => {
    const j = (await s.orch.getJob({ id })).job;
    return j && [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED].includes(j.state) && j;
  });
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  return done;
}

test("with disk n1-1 kept and the counter gone, the next provision of n1 names its disk n1-2", async () => {
  const provision = () => run(s.orch.provisionNode({ project: "p1", spec: { node: "n1", image: "golden", disk: "", nic: "", network: "" },
    options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" }));
  const diskOf = (j: Job) => j.steps.find((x) => x.name === "disk")?.outputs.disk;
  assert.equal(diskOf(await provision()), "n1-1");
  await run(s.orch.deprovisionNode({ project: "p1", node: "n1", deleteDisk: false, releaseNode: true, idempotencyKey: "" }));
  assert.equal((await s.image.getDisk({ project: "p1", name: "n1-1" })).disk?.name, "n1-1", "the disk stays");
  assert.equal(await s.redis.del(`${s.prefix}orch:diskseq:n1`), 1);

  assert.equal(diskOf(await provision()), "n1-2");
  await run(s.orch.deprovisionNode({ project: "p1", node: "n1", deleteDisk: true, releaseNode: true, idempotencyKey: "" }));
  await s.image.deleteDisk({ project: "p1", name: "n1-1" });
});
