import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { JobState, StepState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

let s: Stack;

before(async () => {
  s = await startStack({ tag: "xs-metrics", metrics: true });
  await s.registerNodes(["m1"]);
  await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: true });
});
after(() => s?.stop());

type Scrape = Map<string, number>;

/** Every sample of a service's /metrics, keyed by `name{labels}` as Prometheus prints it. */
async function scrape(service: string): Promise<Scrape> {
  const url = s.metrics[service];
  assert.ok(url, `${service} serves metrics`);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const samples: Scrape = new Map();
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
    const declared = /^# TYPE (\S+) /.exec(line);
    if (declared) samples.set(`# ${declared[1]}`, 0);
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include every one of `labels`. */
function sum(samples: Scrape, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

const SERVICES = ["orchestrator", "image-service", "target-service", "boot-service", "haas-gateway"];

async function scrapeAll(): Promise<Record<string, Scrape>> {
  return Object.fromEntries(await Promise.all(SERVICES.map(async (svc) => [svc, await scrape(svc)] as const)));
}

test("every service's series move after a provision: RPCs, the job and its steps, the limiter and the back ends", async () => {
  const before = await scrapeAll();
  const { job } = await s.orch.provisionNode({ project: "p1", spec: { node: "m1", image: "golden", disk: "", nic: "", network: "net1" },
    options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
  const done = await until(`job ${job!.id}`, async () => {
    const { job: j } = await s.orch.getJob({ id: job!.id });
    return j && j.state !== JobState.JOB_STATE_PENDING && j.state !== JobState.JOB_STATE_RUNNING && j;
  });
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  // The job's end is recorded before the write that makes GetJob answer SUCCEEDED returns to the runner.
  const afterScrape = await until("job metrics", async () => {
    const o = await scrape("orchestrator");
    return sum(o, "bmi_job_seconds_count", { kind: "PROVISION", state: "SUCCEEDED" }) > 0 && o;
  });
  const after: Record<string, Scrape> = { ...await scrapeAll(), orchestrator: afterScrape };
  const moved = (svc: string, name: string, labels: Record<string, string> = {}) => {
    const d = sum(after[svc]!, name, labels) - sum(before[svc]!, name, labels);
    assert.ok(d > 0, `${svc}: ${name}${JSON.stringify(labels)} moved (${d})`);
    return d;
  };

  for (const svc of SERVICES) {
    assert.equal(sum(after[svc]!, "process_cpu_user_seconds_total", { service: svc }) > 0, true, `${svc} names itself`);
  }
  moved("orchestrator", "bmi_rpc_server_seconds_count", { method: "/bmi.orchestrator.v1.Orchestrator/ProvisionNode", code: "OK" });
  assert.equal(moved("orchestrator", "bmi_job_seconds_count", { kind: "PROVISION", state: "SUCCEEDED" }), 1);
  const ran = done.steps.filter((x) => x.state === StepState.STEP_STATE_SUCCEEDED).map((x) => x.name);
  assert.ok(ran.length >= 4, `steps ran: ${ran.join(", ")}`);
  for (const step of ran) moved("orchestrator", "bmi_step_seconds_count", { kind: "PROVISION", step, outcome: "ok" });
  moved("orchestrator", "bmi_limiter_admitted_total", { bottleneck: "image" });
  moved("orchestrator", "bmi_limiter_wait_seconds_count", { bottleneck: "target" });
  assert.ok(after.orchestrator!.has('bmi_limiter_waiting{bottleneck="image",service="orchestrator"}'), "limiter queue depth shown");
  moved("orchestrator", "bmi_events_published_total");
  assert.ok([...after.orchestrator!.keys()].some((k) => k.startsWith("bmi_events_outbox_depth{")), "outbox depth shown");

  moved("image-service", "bmi_rpc_server_seconds_count", { code: "OK" });
  moved("image-service", "bmi_image_backend_seconds_count", { backend: "storage-daemon", outcome: "ok" });
  moved("target-service", "bmi_rpc_server_seconds_count", { method: "/bmi.target.v1.TargetService/CreateTarget", code: "OK" });
  moved("target-service", "bmi_tgtd_request_seconds_count", { mode: "target", op: "new", outcome: "ok" });
  assert.ok(sum(after["target-service"]!, "bmi_reconcile_passes_total", { result: "ok" }) > 0, "reconcile passes counted");
  moved("boot-service", "bmi_rpc_server_seconds_count", { code: "OK" });
  moved("haas-gateway", "bmi_rpc_server_seconds_count", { code: "OK" });
});

test("a refused call is counted under its status code", async () => {
  const before = await scrape("image-service");
  await assert.rejects(s.image.getDisk({ project: "p1", name: "no-such-disk" }));
  const after = await scrape("image-service");
  const name = "bmi_rpc_server_seconds_count";
  const labels = { method: "/bmi.image.v1.ImageService/GetDisk", code: "NOT_FOUND" };
  assert.equal(sum(after, name, labels) - sum(before, name, labels), 1);
});

test("the Grafana dashboard asks only for series the services declare", async () => {
  const declared = new Set<string>();
  for (const samples of Object.values(await scrapeAll())) {
    for (const key of samples.keys()) if (key.startsWith("# ")) declared.add(key.slice(2));
  }
  const dashboard = readFileSync(path.join(REPO_ROOT, "deploy", "grafana-dashboard.json"), "utf8");
  const used = new Set([...dashboard.matchAll(/\b(bmi_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, "")));
  assert.ok(used.size >= 10, `the dashboard uses ${used.size} series`);
  const unknown = [...used].filter((name) => !declared.has(name));
  assert.deepEqual(unknown, [], "series the dashboard names but no service declares");
});
