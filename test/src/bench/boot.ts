import { startE2eStack } from "../e2e/e2e-stack";
import { jobThatBoots } from "../e2e/flows";
import { assertSucceeded, waitJob } from "../e2e/jobs";
import { uploadRawImage } from "../e2e/upload";
import type { VmNode } from "../e2e/vm-node";
import { buildDemoImage } from "../demo-image";
import { linuxImage } from "../linux/linux-image";
import { assertBooted, bootJob, bootTimeline, linuxOptions } from "../linux/linux-node";
import { runVms } from "./boot-vms";
import { percentile } from "./stats";

const PROJECT = "bench";

/**
 * `npm run bench -- boot [--runs N]`: power-on to userspace of BMI's Linux image (deploy/linux-image) on a QEMU
 * TCG VM through the five services (local driver), N times (default 2), each phase as boot-service saw it; and in
 * the same run the floor: the 512-byte demo boot sector through the same chain (firmware, DHCP, iPXE, the node's
 * script, sanboot), i.e. everything but the OS. Run it alone (flock /tmp/bmi-heavy.lock): TCG timings follow the load.
 * `--vms N`: N VMs booting the demo image at once instead (boot-vms.ts).
 */
export async function run(args: string[]): Promise<void> {
  const vms = option(args, "--vms");
  if (vms !== undefined) {
    const count = Number(vms);
    if (!Number.isInteger(count) || count < 1) throw new Error(`--vms ${vms}: a whole number of VMs, at least 1`);
    return runVms(count, Number(option(args, "--runs") ?? 1));
  }
  const runs = Number(option(args, "--runs") ?? 2);
  const file = await linuxImage();
  const s = await startE2eStack({ tag: "bboot" });
  try {
    let t = Date.now();
    await uploadRawImage(s.image, PROJECT, "linux", file);
    const upload = Date.now() - t;
    await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: "bench-floor" }));
    const vm = await s.addVm("bboot-n1", "52:54:00:be:00:01");
    const floor: number[] = [];
    const attempted: number[] = [];
    const userspace: number[] = [];
    const rows: string[] = [];
    for (let i = 0; i < runs; i++) {
      const { job: fj, boot } = await jobThatBoots(s.orch, vm, () => s.orch.provisionNode({ project: PROJECT,
        spec: { node: vm.name, image: "demo", disk: "", nic: "", network: "" },
        options: { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 120 }, idempotencyKey: "" }));
      floor.push(boot.ms / 1000);
      await deprovision(s, vm);
      t = Date.now();
      const job = assertBooted(await bootJob(s.orch, vm, () => s.orch.provisionNode({ project: PROJECT,
        spec: { node: vm.name, image: "linux", disk: "", nic: "", network: "" }, options: linuxOptions(`bench-${i}`, ""),
        idempotencyKey: "" })), vm);
      const timeline = await bootTimeline(s.orch, job);
      const at = (p: string) => timeline.find((x) => x.phase === p)?.s ?? NaN;
      attempted.push(at("BOOT_ATTEMPTED"));
      userspace.push(at("USERSPACE"));
      rows.push(`run ${i + 1}: floor ${(boot.ms / 1000).toFixed(1)} s (job ${fj.id.slice(0, 8)}); linux: script ${at("SCRIPT_SERVED").toFixed(1)} s, ` +
        `sanboot ${at("BOOT_ATTEMPTED").toFixed(1)} s, userspace ${at("USERSPACE").toFixed(1)} s, provision job ${((Date.now() - t) / 1000).toFixed(1)} s`);
      await vm.arm();
      await deprovision(s, vm);
    }
    const median = (xs: number[]) => percentile(xs, 50);
    const m = (xs: number[]) => median(xs).toFixed(1);
    process.stdout.write(`\nboot: BMI's Linux image, power-on -> userspace under QEMU TCG (local driver), ${runs} runs\n` +
      `image upload ${(upload / 1000).toFixed(1)} s\n${rows.join("\n")}\n` +
      `median: power-on -> sanboot ${m(attempted)} s, -> userspace ${m(userspace)} s; ` +
      `floor (boot sector, power-on -> its last line) ${m(floor)} s; the OS adds ${(median(userspace) - median(attempted)).toFixed(1)} s\n`);
  } finally {
    await s.stop();
  }
}

async function deprovision(s: Awaited<ReturnType<typeof startE2eStack>>, vm: VmNode): Promise<void> {
  assertSucceeded(await waitJob(s.orch, (await s.orch.deprovisionNode({
    project: PROJECT, node: vm.name, deleteDisk: true, releaseNode: false, idempotencyKey: "" })).job?.id ?? ""));
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
