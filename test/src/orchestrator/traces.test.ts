import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startOtlpReceiver, type OtlpReceiver } from "./otlp-receiver";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

let s: Stack | undefined;
let otlp: OtlpReceiver;

before(async () => {
  otlp = await startOtlpReceiver();
  s = await startStack({ tag: "xs-traces", otlpEndpoint: otlp.url });
  await s.registerNodes(["t1"]);
  await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: true });
});
after(async () => {
  await s?.stop();
  await otlp?.close();
});

test("one provision is one connected trace across the five services, its steps included and named by the job id", async () => {
  const stack = s!;
  const { job } = await stack.orch.provisionNode({ project: "p1", spec: { node: "t1", image: "golden", disk: "", nic: "", network: "net1" },
    options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
  const id = job!.id;
  const done = await until(`job ${id}`, async () => {
    const { job: j } = await stack.orch.getJob({ id });
    return j && j.state !== JobState.JOB_STATE_PENDING && j.state !== JobState.JOB_STATE_RUNNING && j;
  });
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  // Stopping the stack makes every service send what it still buffers.
  await stack.stop();
  s = undefined;

  const root = otlp.spans.find((x) => x.name === "/bmi.orchestrator.v1.Orchestrator/ProvisionNode" && x.attributes["bmi.job.id"] === id);
  assert.ok(root, "the ProvisionNode call's span names its job");
  const spans = otlp.spans.filter((x) => x.traceId === root.traceId);
  const ids = new Set(spans.map((x) => x.spanId));
  const orphans = spans.filter((x) => x !== root && !ids.has(x.parentSpanId));
  assert.deepEqual(orphans.map((x) => `${x.service} ${x.name}`), [], "every span but the call's hangs from another span of the trace");
  assert.equal(root.parentSpanId, "", "the test's own call is not traced: the provision is the root");
  const services = new Set(spans.map((x) => x.service));
  assert.deepEqual([...services].sort(), ["boot-service", "haas-gateway", "image-service", "orchestrator", "target-service"]);

  const steps = spans.filter((x) => x.name.startsWith("step "));
  assert.ok(steps.length >= 4, `step spans: ${steps.map((x) => x.name).join(", ")}`);
  for (const step of steps) assert.equal(step.attributes["bmi.job.id"], id, `${step.name} names the job`);
  // The other services' work hangs from the steps (which run in the worker, after the call returned).
  const byId = new Map(spans.map((x) => [x.spanId, x]));
  const stepOf = (x: typeof spans[number]): string | undefined => {
    for (let p = byId.get(x.parentSpanId); p; p = byId.get(p.parentSpanId)) if (p.name.startsWith("step ")) return p.name;
    return undefined;
  };
  const createTarget = spans.find((x) => x.service === "target-service" && x.name === "/bmi.target.v1.TargetService/CreateTarget");
  assert.ok(createTarget && stepOf(createTarget), "target-service's CreateTarget is inside a step of the job");
  assert.ok(spans.some((x) => x.service === "image-service" && stepOf(x)), "image-service's work is inside a step");
  // Redis: the job's creation (the orchestrator's Lua) and the boot config's write are spans of the trace.
  const redisSpans = spans.filter((x) => x.name.startsWith("redis "));
  assert.ok(redisSpans.some((x) => x.service === "orchestrator" && byId.get(x.parentSpanId) === root), "the job's creation in Redis, under the call");
  assert.ok(redisSpans.some((x) => x.service === "boot-service"), "boot-service's Redis writes, under its call");
});
