import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { InvalidArgumentError } from "@bmi/errors";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { PowerSpec } from "@bmi/proto/bmi/haas/v1/haas";
import { JobState, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startFakeQmp, type FakeQmp } from "../orchestrator/fake-qmp";
import { goldenImage, startStack, until, type Stack } from "../support/stack";
import { bootTimeline, linuxOptions } from "./linux-node";

// The metadata and userspace path through the five real services, with the node's side played over HTTP exactly
// as BMI's Linux image does it (linux-local.test.ts and linux-ceph.test.ts boot the real image in VMs): no VM, so
// it runs in seconds. The node's power control is a fake QMP socket whose `cont` starts the node's part.
let s: Stack;
const qmps: FakeQmp[] = [];
const USER_DATA = "#!/bin/sh\necho from the tenant\n";

before(async () => {
  s = await startStack({ tag: "xs-lxmeta" });
  await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
});
after(async () => {
  for (const q of qmps) await q.close();
  await s?.stop();
});

/** Registers `node` with a fake QMP whose power-on runs `boot(base, mac)` as the node. */
async function nodeThatBoots(node: string, boot: (url: (p: string) => string) => Promise<void>): Promise<void> {
  const qmp = await startFakeQmp(path.join(s.dir, `${node}.qmp`));
  qmps.push(qmp);
  await s.registerNodes([node], () => PowerSpec.fromPartial({ qemu: { qmpSocket: qmp.path } }));
  const mac = (await s.haas.getNode({ node })).node!.nics[0]!.mac.replace(/:/g, "-");
  qmp.onCommand = (command) => {
    if (command === "cont") void boot((p) => `${s.bootHttp}/nodes/${mac}${p}`).catch((err: unknown) => console.error(`${node}:`, err));
  };
}

async function waitJob(id: string): Promise<Job> {
  return until(`job ${id}`, async () => {
    const { job } = await s.orch.getJob({ id });
    return job && [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED].includes(job.state) && job;
  });
}

test("the node's OS gets the host name and user-data it was provisioned with; its userspace report ends the job", async () => {
  const seen: Record<string, string> = {};
  await nodeThatBoots("m1", async (url) => {
    await fetch(url(".ipxe"));
    await fetch(url("/phase/attempted?attempt=1"));
    for (const f of ["meta-data", "user-data"]) seen[f] = await (await fetch(url(`/nocloud/${f}`))).text();
    await fetch(url("/phase/userspace"));
  });
  const { job } = await s.orch.provisionNode({ project: "p1", spec: { node: "m1", image: "golden", disk: "", nic: "", network: "" },
    options: linuxOptions("web-1.example", USER_DATA), idempotencyKey: "" });
  const done = await waitJob(job!.id);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  assert.equal(done.steps.find((x) => x.name === "boot_seen")?.outputs.phase, "USERSPACE");
  assert.match(seen["meta-data"] ?? "", /^local-hostname: "web-1\.example"$/m);
  assert.match(seen["meta-data"] ?? "", /^project: "p1"$/m);
  assert.match(seen["meta-data"] ?? "", /^instance-id: "iqn\..*m1-1"$/m);
  assert.equal(seen["user-data"], USER_DATA);
  assert.deepEqual((await bootTimeline(s.orch, done)).map((x) => x.phase), ["SCRIPT_SERVED", "BOOT_ATTEMPTED", "USERSPACE"]);
  // What the orchestrator set is what boot-service holds, user-data shown only where secrets are.
  const { config } = await s.boot.getBootConfig({ node: "m1" });
  assert.deepEqual(config?.metadata, { hostname: "web-1.example", userData: USER_DATA });
  const listed = (await s.boot.listBootConfigs({ project: "p1" })).configs.find((c) => c.node === "m1");
  assert.equal(listed?.metadata?.userData, "");
});

test("a failed sanboot fails a job that waits for userspace at once, saying why", async () => {
  await nodeThatBoots("m2", async (url) => {
    await fetch(url(".ipxe"));
    await fetch(url("/phase/attempted?attempt=1"));
    await fetch(url("/phase/failed?attempt=1"));
  });
  const started = Date.now();
  const { job } = await s.orch.provisionNode({ project: "p1", spec: { node: "m2", image: "golden", disk: "", nic: "", network: "" },
    options: linuxOptions("", ""), idempotencyKey: "" });
  const done = await waitJob(job!.id);
  assert.equal(done.state, JobState.JOB_STATE_FAILED);
  assert.match(done.steps.find((x) => x.name === "boot_seen")?.error ?? "", /could not boot its disk: sanboot failed/);
  assert.ok(Date.now() - started < 60_000, "long before its 300 s boot timeout");
  assert.deepEqual((await s.orch.listProvisioned({ project: "p1" })).nodes.filter((n) => n.node === "m2"), [], "undone");
});

test("a bad host name or oversized user-data is refused before any job exists", async () => {
  await s.registerNodes(["m3"]);
  for (const options of [linuxOptions("bad name", ""), linuxOptions("ok", "x".repeat(64 * 1024 + 1))]) {
    await assert.rejects(s.orch.provisionNode({ project: "p1", spec: { node: "m3", image: "golden", disk: "", nic: "", network: "" },
      options, idempotencyKey: "" }), (err: unknown) => err instanceof InvalidArgumentError);
  }
  assert.deepEqual((await s.orch.listJobs({ project: "p1", state: 0, limit: 100, includeChildren: false })).jobs.filter((j) => j.node === "m3"), []);
});
