import type { PromiseClient } from "@bmi/grpc";
import type { Job, OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { assertSucceeded, waitJob } from "./jobs";
import type { VmBoot, VmNode } from "./vm-node";

/** Deadline of one VM boot under TCG: about 6 s alone, more when several boot at once on two busy cores. */
export const BOOT_DEADLINE_MS = 90_000;

/** What `nobody booted` looks like in a serial log: boot-service's 404 path, or iPXE refused by the target. */
export const NO_BOOT = /BMI: no boot config|no boot from|Could not (open|boot)|No bootable device/;

export interface BootThroughOptions {
  deadlineMs?: number;
  /** Waits for the job to finish (default: poll it); a demo prints its progress meanwhile. */
  wait?: (jobId: string) => Promise<Job>;
  /** Called once each VM's QEMU is up, before the job; what it answers is called when the boot is over. */
  watch?: (vm: VmNode) => () => void;
}

/**
 * Submits a job that power-cycles `vms` (provision, bulk, re-provision), waits for it to succeed and for every VM
 * to run its disk to the end. Each VM is armed (a fresh paused QEMU) before and after, so its power control
 * always answers, as a powered-off node's BMC does.
 */
export async function bootThrough(orch: PromiseClient<OrchestratorClient>, vms: VmNode[],
  submit: () => Promise<{ job?: Job | undefined }>, opts: BootThroughOptions = {}): Promise<{ job: Job; boots: VmBoot[] }> {
  const deadline = opts.deadlineMs ?? BOOT_DEADLINE_MS;
  await Promise.all(vms.map((vm) => vm.arm()));
  const unwatch = vms.map((vm) => opts.watch?.(vm));
  const boots = Promise.all(vms.map((vm) => vm.waitForExit(deadline)));
  boots.catch(() => undefined); // awaited below; a failed job must not leave it unhandled
  try {
    const { job } = await submit();
    if (!job) throw new Error("the orchestrator answered no job");
    const done = assertSucceeded(await (opts.wait ?? ((id) => waitJob(orch, id, deadline)))(job.id));
    return { job: done, boots: await boots };
  } catch (err) {
    // What the VMs printed says more than the job's error: no DHCP, a 404, a refused login, a disk error.
    throw new Error(`${(err as Error).message}\n${vms.map((vm) => `--- ${vm.name}: ${vm.describe()}`).join("\n")}`);
  } finally {
    for (const u of unwatch) u?.();
    await Promise.all(vms.map((vm) => vm.arm()));
  }
}

/** bootThrough for one VM. */
export async function jobThatBoots(orch: PromiseClient<OrchestratorClient>, vm: VmNode,
  submit: () => Promise<{ job?: Job | undefined }>): Promise<{ job: Job; boot: VmBoot }> {
  const { job, boots } = await bootThrough(orch, [vm], submit);
  const [boot] = boots;
  if (!boot) throw new Error(`no boot of ${vm.name}`);
  return { job, boot };
}

/** Starts `vm` powered on with nobody's help and expects it not to boot any disk. Answers its serial log. */
export async function expectNoBoot(vm: VmNode): Promise<string> {
  await vm.arm({ running: true });
  const serial = await vm.waitForSerial(NO_BOOT, BOOT_DEADLINE_MS);
  await vm.arm();
  if (/BMI-DEMO marker=/.test(serial)) throw new Error(`VM ${vm.name} booted a disk it should not reach: ${vm.describe()}`);
  return serial;
}
