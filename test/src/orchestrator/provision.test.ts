import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { BootPhase } from "@bmi/proto/bmi/events/v1/events";
import { NotFoundError } from "@bmi/errors";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { NodeFilter, PowerSpec } from "@bmi/proto/bmi/haas/v1/haas";
import {
  JobState, NodeState, StepState, WatchJobRequest, type Job, type WatchJobResponse,
} from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startFakeQmp } from "./fake-qmp";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

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

test("power cycle and wait for boot: the node fetching its script and calling back ends the job, joined to its events", async () => {
  const qmp = await startFakeQmp(path.join(s.dir, "wb1.qmp"));
  after(() => qmp.close());
  await s.registerNodes(["wb1"], () => PowerSpec.fromPartial({ qemu: { qmpSocket: qmp.path } }));
  const { node } = await s.haas.getNode({ node: "wb1" });
  const mac = node!.nics[0]!.mac.replace(/:/g, "-");
  // Act as the node: once it is power-cycled, it fetches its script, then calls back just before sanboot.
  qmp.onCommand = (command) => {
    if (command !== "cont") return;
    void (async () => {
      const script = await (await fetch(`${s.bootHttp}/nodes/${mac}.ipxe`)).text();
      assert.match(script, /sanboot/);
      await fetch(`${s.bootHttp}/nodes/${mac}/phase/attempted?attempt=1`);
    })();
  };
  const { job } = await s.orch.provisionNode({ project: "p1", spec: { node: "wb1", image: "golden", disk: "", nic: "", network: "" },
    options: { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 60 }, idempotencyKey: "" });
  const done = await waitJob(job!.id);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  assert.ok(qmp.commands.includes("system_reset"), "the node was power-cycled");
  assert.equal(done.steps.find((x) => x.name === "boot_seen")?.outputs.phase, "BOOT_ATTEMPTED");
  const { nodes } = await s.orch.listProvisioned({ project: "p1" });
  assert.equal(nodes.find((n) => n.node === "wb1")?.state, NodeState.NODE_STATE_BOOTED);
  const phases: BootPhase[] = [];
  const call = s.orch.raw.watchJob(WatchJobRequest.fromPartial({ id: job!.id, fromStart: true }), s.orch.metadata(), s.orch.callOptions());
  for await (const res of call as AsyncIterable<WatchJobResponse>) if (res.event?.boot) phases.push(res.event.boot.phase);
  assert.deepEqual(phases, [BootPhase.BOOT_PHASE_SCRIPT_SERVED, BootPhase.BOOT_PHASE_BOOT_ATTEMPTED]);
});

test("re-provision to an earlier disk: no clone, the boot config follows, the other disk's target goes, its disk stays", async () => {
  await s.registerNodes(["r1"]);
  const run = async (p: Promise<{ job?: Job | undefined }>) => {
    const done = await waitJob((await p).job!.id);
    assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
    return done;
  };
  const spec = { node: "r1", image: "golden", disk: "", nic: "", network: "" };
  await run(s.orch.provisionNode({ project: "p1", spec, options: opts(), idempotencyKey: "" }));
  await run(s.orch.deprovisionNode({ project: "p1", node: "r1", deleteDisk: false, releaseNode: false, idempotencyKey: "" }));
  await run(s.orch.provisionNode({ project: "p1", spec, options: opts(), idempotencyKey: "" }));
  const disksBefore = (await s.image.listDisks({ project: "p1" })).disks.filter((d) => d.name.startsWith("r1-")).map((d) => d.name).sort();
  assert.deepEqual(disksBefore, ["r1-1", "r1-2"]);
  const back = await run(s.orch.reprovisionNode({ project: "p1", node: "r1", disk: "r1-1", options: opts(), idempotencyKey: "" }));
  assert.equal(back.steps.find((x) => x.name === "disk")?.outputs.created, "false", "no clone");
  const { target } = await s.target.getTarget({ project: "p1", disk: "r1-1" });
  assert.equal((await s.boot.getBootConfig({ node: "r1" })).config?.target?.iqn, target?.target?.iqn);
  await missing(s.target.getTarget({ project: "p1", disk: "r1-2" }));
  assert.deepEqual((await s.image.listDisks({ project: "p1" })).disks.filter((d) => d.name.startsWith("r1-")).map((d) => d.name).sort(), disksBefore);
  const prov = (await s.orch.listProvisioned({ project: "p1" })).nodes.find((n) => n.node === "r1");
  assert.deepEqual([prov?.disk, prov?.disks], ["r1-1", ["r1-1", "r1-2"]]);
});

test("a node that does not boot within the timeout is powered off and every step undone", async () => {
  const qmp = await startFakeQmp(path.join(s.dir, "wb2.qmp"));
  after(() => qmp.close());
  await s.registerNodes(["wb2"], () => PowerSpec.fromPartial({ qemu: { qmpSocket: qmp.path } }));
  const { job } = await s.orch.provisionNode({ project: "p3", spec: { node: "wb2", image: "p1/golden", disk: "", nic: "", network: "net1" },
    options: { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 1 }, idempotencyKey: "" });
  const done = await waitJob(job!.id);
  assert.equal(done.state, JobState.JOB_STATE_FAILED);
  assert.match(done.error, /^boot_seen: node wb2 did not boot within 1 s/);
  assert.ok(qmp.commands.includes("stop"), "powered off by the undo of the power step");
  assert.deepEqual((await s.image.listDisks({ project: "p3" })).disks, []);
  assert.deepEqual((await s.target.listTargets({ project: "p3" })).targets, []);
  await missing(s.boot.getBootConfig({ node: "wb2" }));
  const { node } = await s.haas.getNode({ node: "wb2" });
  assert.deepEqual([node?.project, node?.nics[0]?.networks], ["", {}]);
});
