import type { PromiseClient } from "@bmi/grpc";
import type { Job, OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { assertSucceeded, waitJob } from "./jobs";
import type { VmBoot, VmNode } from "./vm-node";

/** Deadline of one VM boot under TCG: about 6 s alone, more when four boot at once on two busy cores. */
export const BOOT_DEADLINE_MS = 90_000;

/** What `nobody booted` looks like in a serial log: boot-service's 404 path, or iPXE refused by the target. */
export const NO_BOOT = /BMI: no boot config|no boot from|Could not (open|boot)|No bootable device/;

export interface JobBoot {
  job: Job;
  boot: VmBoot;
}

/**
 * Submits a job that power-cycles `vm` (provision, re-provision), waits for it to succeed and for the VM to run
 * its disk to the end. The VM is armed (a fresh paused QEMU) before and after, so its power control always answers.
 */
export async function jobThatBoots(orch: PromiseClient<OrchestratorClient>, vm: VmNode,
  submit: () => Promise<{ job?: Job | undefined }>): Promise<JobBoot> {
  await vm.arm();
  const boot = vm.waitForExit(BOOT_DEADLINE_MS);
  boot.catch(() => undefined); // awaited below; a job failure must not leave it unhandled
  const { job } = await submit();
  if (!job) throw new Error("the orchestrator answered no job");
  const done = assertSucceeded(await waitJob(orch, job.id, BOOT_DEADLINE_MS));
  const result = { job: done, boot: await boot };
  await vm.arm();
  return result;
}

/** Starts `vm` powered on with nobody's help and expects it not to boot any disk. Answers its serial log. */
export async function expectNoBoot(vm: VmNode): Promise<string> {
  await vm.arm({ running: true });
  const serial = await vm.waitForSerial(NO_BOOT, BOOT_DEADLINE_MS);
  await vm.arm();
  if (/BMI-DEMO marker=/.test(serial)) throw new Error(`VM ${vm.name} booted a disk it should not reach: ${vm.describe()}`);
  return serial;
}
