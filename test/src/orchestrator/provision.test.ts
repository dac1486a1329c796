import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { NotFoundError } from "@bmi/errors";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { NodeFilter } from "@bmi/proto/bmi/haas/v1/haas";
import { JobState, StepState, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { goldenImage, startStack, until, type Stack } from "./stack";

// One stack for the file: the happy path runs clean, and the faults are injected on dedicated nodes only.
const FAULTS = ["check_node@f-check", "allocate@f-alloc", "disk@f-disk", "target@f-target", "boot_config@f-boot", "network@f-net"];
let s: Stack;

before(async () => {
  s = await startStack({ tag: "xs-prov", orchEnv: { BMI_ORCH_FAULTS: FAULTS.join(",") } });
  await s.registerNodes(["n1", "f-check", "f-alloc", "f-disk", "f-target", "f-boot", "f-net", "f-power", "f-image"]);
  await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: true });
});
after(() => s?.stop());

async function waitJob(id: string): Promise<Job> {
  return until(`job ${id}`, async () => {
    const { job } = await s.orch.getJob({ id });
    return job && [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED].includes(job.state) && job;
  });
}

const missing = (p: Promise<unknown>) => assert.rejects(p, (err: unknown) => err instanceof NotFoundError);
const opts = (powerCycle = false) => ({ powerCycle, waitForBoot: false, bootTimeoutSeconds: 0 });

test("provision then deprovision across the five services, checking each one's state after both", async () => {
  const { job } = await s.orch.provisionNode({ project: "p1", spec: { node: "n1", image: "golden", disk: "", nic: "", network: "net1" },
    options: opts(), idempotencyKey: "" });
  const done = await waitJob(job!.id);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  const disk = done.steps.find((x) => x.name === "disk")!.outputs.disk!;
  assert.equal(disk, "n1-1");

  const { disk: d } = await s.image.getDisk({ project: "p1", name: disk });
  assert.equal(d?.image, "p1/golden");
  assert.ok(d?.backing?.file?.path && existsSync(d.backing.file.path), "the disk is exported as a file");
  const { target } = await s.target.getTarget({ project: "p1", disk });
  assert.equal(target?.initiatorIqn, "iqn.2026-01.org.example.bmi.node:p1.n1");
  assert.ok(target?.chap?.user && target.chap.secret, "CHAP on the target");
  const iqn = target!.target!.iqn;
  assert.match(await s.tgtd.tgtadm(["--mode", "target", "--op", "show"]), new RegExp(iqn.replace(/\./g, "\\.")));
  const { config } = await s.boot.getBootConfig({ node: "n1" });
  assert.deepEqual(config?.macs, ["52:54:00:00:00:01"]);
  assert.equal(config?.target?.iqn, iqn);
  const { script } = await s.boot.renderScript({ node: "n1", mac: "" });
  assert.match(script, /sanboot/);
  assert.ok(script.includes(iqn));
  const { node } = await s.haas.getNode({ node: "n1" });
  assert.equal(node?.project, "p1");
  assert.ok(Object.values(node!.nics[0]!.networks).includes("net1"));
  const { nodes } = await s.orch.listProvisioned({ project: "p1" });
  assert.deepEqual(nodes.map((n) => [n.node, n.disk, n.targetIqn]), [["n1", disk, iqn]]);

  const { job: dpro } = await s.orch.deprovisionNode({ project: "p1", node: "n1", deleteDisk: true, releaseNode: true, idempotencyKey: "" });
  const gone = await waitJob(dpro!.id);
  assert.equal(gone.state, JobState.JOB_STATE_SUCCEEDED, gone.error);
  await missing(s.image.getDisk({ project: "p1", name: disk }));
  await missing(s.target.getTarget({ project: "p1", disk }));
  assert.ok(!(await s.tgtd.tgtadm(["--mode", "target", "--op", "show"])).includes(iqn));
  await missing(s.boot.getBootConfig({ node: "n1" }));
  const { node: freed } = await s.haas.getNode({ node: "n1" });
  assert.equal(freed?.project, "");
  assert.deepEqual(freed?.nics[0]?.networks, {});
  assert.equal((await s.orch.listProvisioned({ project: "p1" })).nodes.length, 0);
});

test("a failure at each step undoes the steps before it: no disk, target, boot config, allocation or network left", async () => {
  const cases: Array<[string, string, Partial<{ image: string; network: string; power: boolean }>]> = [
    ["f-check", "check_node", {}], ["f-alloc", "allocate", {}], ["f-disk", "disk", {}], ["f-target", "target", {}],
    ["f-boot", "boot_config", {}], ["f-net", "network", { network: "net1" }], ["f-power", "power", { network: "net1", power: true }],
    ["f-image", "disk", { image: "no-such-image" }],
  ];
  const jobs = await Promise.all(cases.map(async ([node, , c]) => (await s.orch.provisionNode({
    project: "p2", spec: { node, image: c.image ?? "p1/golden", disk: "", nic: "", network: c.network ?? "" },
    options: opts(c.power), idempotencyKey: "",
  })).job!));
  for (const [i, [node, step]] of cases.entries()) {
    const done = await waitJob(jobs[i]!.id);
    assert.equal(done.state, JobState.JOB_STATE_FAILED, `${node}: ${JobState[done.state]}`);
    assert.ok(done.error.startsWith(`${step}: `), `${node}: ${done.error}`);
    const failedAt = done.steps.findIndex((x) => x.name === step);
    for (const st of done.steps.slice(0, failedAt + 1)) assert.equal(st.state, StepState.STEP_STATE_UNDONE, `${node} ${st.name}`);
  }
  assert.deepEqual((await s.image.listDisks({ project: "p2" })).disks.map((d) => d.name), []);
  assert.deepEqual((await s.target.listTargets({ project: "p2" })).targets.map((t) => t.disk), []);
  assert.deepEqual((await s.boot.listBootConfigs({ project: "p2" })).configs.map((c) => c.node), []);
  const { nodes } = await s.haas.listNodes({ filter: NodeFilter.NODE_FILTER_ALL, project: "" });
  for (const n of nodes.filter((x) => x.name.startsWith("f-"))) {
    assert.equal(n.project, "", `${n.name} released`);
    assert.deepEqual(n.nics[0]?.networks, {}, `${n.name} off its network`);
  }
  assert.equal((await s.orch.listProvisioned({ project: "p2" })).nodes.length, 0);
});
