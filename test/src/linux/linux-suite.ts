import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { JobState, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startE2eStack, type E2eStack } from "../e2e/e2e-stack";
import { assertSucceeded, stepOutput, waitJob } from "../e2e/jobs";
import { uploadRawImage } from "../e2e/upload";
import type { VmNode } from "../e2e/vm-node";
import { linuxImage } from "./linux-image";
import {
  assertBooted, bootJob, bootSeconds, bootTimeline, LINUX_BOOT_DEADLINE_S, linuxOptions, READY, report, reportScript, serialMatch,
} from "./linux-node";
import { breakChap } from "./wrong-chap";

const PROJECT = "lx";
/** From the OS's last line to the report the user-data prints (it runs right after the host name is set). */
const REPORT_MS = 60_000;

export interface LinuxSuiteOptions {
  /** Names this run's nodes and stack; unique per test file. */
  tag: string;
  /** Second-to-last MAC byte, unique per test file. */
  macByte: string;
  /** image-service settings on top of the local driver (the ceph driver's); may start what they name. */
  imageEnv?: () => Promise<Record<string, string>>;
  /**
   * The whole story (reboot from inside, snapshot to a second node, a fresh clone): about 5 minutes under TCG.
   * Without it: one boot to userspace with the checks of the first test, and the wrong CHAP secret.
   */
  full: boolean;
}

/**
 * BMI's Linux image (deploy/linux-image) on VM nodes through the five services: root on the iSCSI disk for the
 * OS's whole life, metadata from boot-service, boot timeline ending at userspace.
 */
export function linuxSuite(opts: LinuxSuiteOptions): void {
  describe(`Linux boots with its root on its BMI disk (${opts.tag})`, { timeout: 900_000 }, () => {
    let s: E2eStack;
    let n1: VmNode;
    let n2: VmNode;
    let booted = false;
    const mark = `mark-${opts.tag}-${process.pid}`;

    before(async () => {
      const file = await linuxImage();
      s = await startE2eStack({ tag: opts.tag, ...(opts.imageEnv ? { imageEnv: await opts.imageEnv() } : {}) });
      const started = Date.now();
      await uploadRawImage(s.image, PROJECT, "linux", file);
      console.log(`# ${opts.tag}: linux image uploaded in ${Date.now() - started} ms`);
      n1 = await s.addVm(`${opts.tag}-n1`, `52:54:00:1e:${opts.macByte}:01`);
      n2 = await s.addVm(`${opts.tag}-n2`, `52:54:00:1e:${opts.macByte}:02`);
    });
    after(() => s?.stop());

    const provision = (vm: VmNode, image: string, hostname: string, userData: string) => bootJob(s.orch, vm, () => s.orch.provisionNode({
      project: PROJECT, spec: { node: vm.name, image, disk: "", nic: "", network: "" }, options: linuxOptions(hostname, userData),
      idempotencyKey: "" }));
    const deprovision = async (vm: VmNode) => assertSucceeded(await waitJob(s.orch, (await s.orch.deprovisionNode({
      project: PROJECT, node: vm.name, deleteDisk: true, releaseNode: false, idempotencyKey: "" })).job?.id ?? ""));
    /** The report of the boot whose serial log starts at `from`, once its user-data printed `last`. */
    const reportOf = async (vm: VmNode, last: RegExp, from = 0, deadlineMs = REPORT_MS) => {
      const { end } = await serialMatch(vm, last, deadlineMs, from);
      return { r: report(vm.serial().slice(from, end)), end };
    };

    test("a node boots to userspace with its root on the iSCSI disk and the host name from its metadata", async () => {
      const job = assertBooted(await provision(n1, "linux", `web-${opts.tag}-1`, reportScript(opts.full ? mark : undefined)), n1);
      assert.equal(stepOutput(job, "boot_seen", "phase"), "USERSPACE", "the job's boot ends with the OS up");
      const timeline = await bootTimeline(s.orch, job);
      assert.deepEqual(timeline.map((x) => x.phase), ["SCRIPT_SERVED", "BOOT_ATTEMPTED", "USERSPACE"], "the boot timeline joined to the job");
      const { r } = await reportOf(n1, opts.full ? /BMI-TEST wrote=/ : READY);
      assert.equal(r.hostname, `web-${opts.tag}-1`, n1.describe());
      assert.match(r.root ?? "", /^\/dev\/sd[a-z]+2,ext4$/, "/ is the image's root partition on a SCSI disk");
      assert.match(r.sysfs ?? "", /\/session\d+\/target\d+:\d+:\d+\//, "that disk is a LUN of an iSCSI session");
      assert.equal(r.lo, "up", "the image's init brings the loopback interface up");
      assert.equal(r.found, "none");
      booted = true;
      console.log(`# ${opts.tag}: power-on -> userspace ${bootSeconds(job)} s (job's boot_seen; ${timeline.map((x) => `${x.phase} ${x.s.toFixed(1)} s`).join(", ")}), ` +
        `provision job ${ms(job)} ms`);
    });

    test("it writes a file, reboots from inside the OS, comes back through iPXE and finds the file", { skip: !opts.full }, async (ctx) => {
      if (!booted) return ctx.skip("the first boot failed");
      const { end: wrote } = await serialMatch(n1, /BMI-TEST wrote=/, REPORT_MS);
      const t0 = Date.now();
      // A whole boot again (firmware, iPXE, sanboot, kernel, initramfs): the first one's deadline, not REPORT_MS.
      const { r, end } = await reportOf(n1, /BMI-LINUX: ready as/, wrote, LINUX_BOOT_DEADLINE_S * 1000);
      const again = n1.serial().slice(wrote, end);
      assert.match(again, /iPXE/, "the reboot went through the NIC's iPXE again");
      assert.match(again, /BMI-LINUX: userspace reached/);
      assert.equal(r.found, mark, n1.describe());
      assert.equal(r.hostname, `web-${opts.tag}-1`);
      console.log(`# ${opts.tag}: reboot from inside the OS -> report ${Date.now() - t0} ms`);
    });

    test("a snapshot becomes an image: a second node from it finds the file, the first on a fresh clone does not",
      { skip: !opts.full }, async (ctx) => {
        if (!booted) return ctx.skip("the first boot failed");
        // Powered off first (a fresh paused QEMU: its power control keeps answering); the OS synced the file.
        await n1.arm();
        const snap = assertSucceeded(await waitJob(s.orch, (await s.orch.snapshotNode({
          project: PROJECT, node: n1.name, image: "linux-snap", idempotencyKey: "" })).job?.id ?? ""));
        console.log(`# ${opts.tag}: snapshot job ${ms(snap)} ms`);
        await deprovision(n1);
        // Both boot at once: two TCG VMs on two cores.
        const [j2, j1] = await Promise.all([
          provision(n2, "linux-snap", `web-${opts.tag}-2`, reportScript()),
          provision(n1, "linux", `web-${opts.tag}-1b`, reportScript()),
        ]);
        assertBooted(j2, n2);
        assertBooted(j1, n1);
        const [{ r: r2 }, { r: r1 }] = await Promise.all([reportOf(n2, READY), reportOf(n1, READY)]);
        assert.equal(r2.found, mark, `n2 boots n1's snapshot: ${n2.describe()}`);
        assert.equal(r2.hostname, `web-${opts.tag}-2`);
        assert.equal(r1.found, "none", `n1's fresh clone of the golden image: ${n1.describe()}`);
        console.log(`# ${opts.tag}: two nodes at once: power-on -> userspace ${bootSeconds(j2)} s and ${bootSeconds(j1)} s`);
      });

    test("a wrong CHAP secret in the node's target: the job fails saying so, well before its timeout", async (ctx) => {
      if (!booted) return ctx.skip("the first boot failed");
      const vm = opts.full ? n2 : n1;
      await deprovision(vm);
      await vm.arm();
      const { job } = await s.orch.provisionNode({ project: PROJECT, spec: { node: vm.name, image: "linux", disk: "", nic: "", network: "" },
        options: linuxOptions(`web-${opts.tag}-x`, reportScript()), idempotencyKey: "" });
      // The VM needs seconds from power-on to its iSCSI login (firmware, DHCP): the secret changes before that.
      await breakChap(s, PROJECT, job?.id ?? "");
      const done: Job = await waitJob(s.orch, job?.id ?? "", 200_000);
      assert.equal(done.state, JobState.JOB_STATE_FAILED, JSON.stringify(done.steps.map((x) => [x.name, x.state, x.error])));
      const failed = done.steps.find((x) => x.name === "boot_seen");
      assert.match(failed?.error ?? "", /could not boot its disk: sanboot failed/);
      assert.doesNotMatch(vm.serial(), /BMI-LINUX: userspace reached/);
      assert.match(vm.serial(), /Could not (open|boot|describe) SAN device|Permission denied|Operation not permitted/i, vm.describe());
      console.log(`# ${opts.tag}: wrong CHAP: job failed after ${ms(done)} ms: ${failed?.error}`);
    });
  });
}

function ms(job: { created?: Date | undefined; finished?: Date | undefined }): number {
  return job.created && job.finished ? job.finished.getTime() - job.created.getTime() : 0;
}
