import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { bootVm } from "@bmi/testing";
import { buildDemoImage, DEMO_DONE } from "../demo-image";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { expectNoBoot, jobThatBoots } from "./flows";
import { assertSucceeded, stepOutput, waitJob } from "./jobs";
import { uploadRawImage } from "./upload";
import type { VmNode } from "./vm-node";

const PROJECT = "e2e";
const BOOT = { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 60 };

export interface LifecycleOptions {
  /** Names this run's nodes and stack; unique per test file. */
  tag: string;
  /** Second-to-last MAC byte, unique per test file. */
  macByte: string;
  /** image-service settings on top of the local driver (the ceph driver's); may start what they name. */
  imageEnv?: () => Promise<Record<string, string>>;
}

/**
 * The whole life of two VM nodes through the five services, each boot a real network boot of the demo image:
 * provision and boot, isolation (another node's MAC, another initiator, a wrong CHAP secret), snapshot round trip,
 * deprovision, provision again from the golden image, re-provision to the earlier disk.
 */
export function lifecycleSuite(opts: LifecycleOptions): void {
  describe(`VM nodes network-boot their own disks (${opts.tag})`, { timeout: 300_000 }, () => {
    let s: E2eStack;
    let n1: VmNode;
    let n2: VmNode;
    let firstDisk = "";
    const golden = `golden-${opts.tag}`;

    before(async () => {
      s = await startE2eStack({ tag: opts.tag, ...(opts.imageEnv ? { imageEnv: await opts.imageEnv() } : {}) });
      const file = await buildDemoImage({ dir: s.dir, marker: golden, counter: 0 });
      await uploadRawImage(s.image, PROJECT, "demo", file);
      n1 = await s.addVm(`${opts.tag}-n1`, `52:54:00:e2:${opts.macByte}:01`);
      n2 = await s.addVm(`${opts.tag}-n2`, `52:54:00:e2:${opts.macByte}:02`);
    });
    after(() => s?.stop());

    const provision = (vm: VmNode, image: string) => jobThatBoots(s.orch, vm, () => s.orch.provisionNode({
      project: PROJECT, spec: { node: vm.name, image, disk: "", nic: "", network: "" }, options: BOOT, idempotencyKey: "",
    }));

    test("provision: the VM network-boots its own clone and prints the image's marker", async () => {
      const { job, boot } = await provision(n1, "demo");
      assert.equal(boot.exitCode, 99, n1.describe());
      assert.deepEqual(boot.demo, { marker: golden, counter: 0, saved: 1 });
      firstDisk = stepOutput(job, "disk", "disk") ?? "";
      assert.notEqual(firstDisk, "");
      console.log(`# ${opts.tag}: provision job ${ms(job)} ms, boot ${boot.ms} ms`);
    });

    test("a VM with another node's MAC gets no boot script and boots nothing", async (ctx) => {
      if (!firstDisk) return ctx.skip("the first provisioning failed");
      const serial = await expectNoBoot(n2);
      assert.match(serial, /no boot config/);
    });

    test("another node's initiator, or a wrong CHAP secret, cannot open the disk", async (ctx) => {
      if (!firstDisk) return ctx.skip("the first provisioning failed");
      const { target } = await s.target.getTarget({ project: PROJECT, disk: firstDisk });
      const t = target?.target;
      assert.ok(t && target.chap, "target-service knows n1's target");
      const [portal] = t.portals;
      const other = target.initiatorIqn.replace(/\.[^.:]+$/, `.${n2.name}`);
      assert.notEqual(other, target.initiatorIqn);
      for (const [label, initiator, secret] of [
        ["other initiator", other, target.chap.secret], ["wrong CHAP", target.initiatorIqn, "not-the-secret-1"],
      ] as const) {
        const initrd = path.join(s.dir, `${label.replace(/ /g, "-")}.ipxe`);
        writeFileSync(initrd, ["#!ipxe", "set net0/ip 10.0.2.15", "set net0/netmask 255.255.255.0", "ifopen net0",
          `set initiator-iqn ${initiator}`, `set username ${target.chap.user}`, `set password ${secret}`,
          `sanboot iscsi:${portal?.replace(":", "::")}:${t.lun}:${t.iqn} || echo BMI-SANBOOT-FAILED`, ""].join("\n"));
        const res = await bootVm({ dir: s.dir, name: `stolen-${label.replace(/ /g, "-")}`, mac: n2.mac, net: { kind: "user" },
          kernel: "/usr/lib/ipxe/ipxe.lkrn", initrd, deadlineMs: 60_000, until: new RegExp(`BMI-SANBOOT-FAILED|${DEMO_DONE.source}`) });
        assert.match(res.serial, /BMI-SANBOOT-FAILED/, `${label}: ${res.serial.slice(-1500)}`);
        assert.doesNotMatch(res.serial, /BMI-DEMO marker=/, label);
      }
    });

    test("snapshot round trip: a node provisioned from the snapshot prints the counter n1 wrote", async (ctx) => {
      if (!firstDisk) return ctx.skip("the first provisioning failed");
      const snap = assertSucceeded(await waitJob(s.orch, (await s.orch.snapshotNode({
        project: PROJECT, node: n1.name, image: "after-first-boot", idempotencyKey: "" })).job?.id ?? ""));
      console.log(`# ${opts.tag}: snapshot job ${ms(snap)} ms`);
      const { boot } = await provision(n2, "after-first-boot");
      assert.equal(boot.exitCode, 99, n2.describe());
      assert.deepEqual(boot.demo, { marker: golden, counter: 1, saved: 2 });
    });

    test("deprovision keeping the disk: the same VM can no longer boot it", async (ctx) => {
      if (!firstDisk) return ctx.skip("the first provisioning failed");
      const job = assertSucceeded(await waitJob(s.orch, (await s.orch.deprovisionNode({
        project: PROJECT, node: n1.name, deleteDisk: false, releaseNode: false, idempotencyKey: "" })).job?.id ?? ""));
      console.log(`# ${opts.tag}: deprovision job ${ms(job)} ms`);
      assert.ok((await s.image.getDisk({ project: PROJECT, name: firstDisk })).disk, "the disk is kept");
      await expectNoBoot(n1);
    });

    test("provision again from the golden image: a new clone, the golden image untouched (counter 0)", async (ctx) => {
      if (!firstDisk) return ctx.skip("the first provisioning failed");
      const { job, boot } = await provision(n1, "demo");
      assert.notEqual(stepOutput(job, "disk", "disk"), firstDisk);
      assert.deepEqual(boot.demo, { marker: golden, counter: 0, saved: 1 });
    });

    test("re-provision to the earlier disk: no new clone, it boots what it wrote there", async (ctx) => {
      if (!firstDisk) return ctx.skip("the first provisioning failed");
      const disks = (await s.image.listDisks({ project: PROJECT })).disks.length;
      const { job, boot } = await jobThatBoots(s.orch, n1, () => s.orch.reprovisionNode({
        project: PROJECT, node: n1.name, disk: firstDisk, options: BOOT, idempotencyKey: "" }));
      assert.equal(stepOutput(job, "disk", "created"), "false");
      assert.equal((await s.image.listDisks({ project: PROJECT })).disks.length, disks, "no disk was made");
      assert.deepEqual(boot.demo, { marker: golden, counter: 1, saved: 2 }, "n2's boot of the snapshot did not touch n1's disk");
      console.log(`# ${opts.tag}: re-provision job ${ms(job)} ms, boot ${boot.ms} ms`);
    });

    test("deprovision everything: no target, boot config or provisioned node left", async (ctx) => {
      if (!firstDisk) return ctx.skip("the first provisioning failed");
      for (const vm of [n1, n2]) {
        assertSucceeded(await waitJob(s.orch, (await s.orch.deprovisionNode({
          project: PROJECT, node: vm.name, deleteDisk: true, releaseNode: true, idempotencyKey: "" })).job?.id ?? ""));
      }
      assert.deepEqual((await s.orch.listProvisioned({ project: PROJECT })).nodes, []);
      assert.deepEqual((await s.target.listTargets({ project: PROJECT })).targets, []);
      assert.deepEqual((await s.boot.listBootConfigs({ project: PROJECT })).configs, []);
    });
  });
}

function ms(job: { created?: Date | undefined; finished?: Date | undefined }): number {
  return job.created && job.finished ? job.finished.getTime() - job.created.getTime() : 0;
}
