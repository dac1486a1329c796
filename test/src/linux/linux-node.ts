import type { PromiseClient } from "@bmi/grpc";
import { BootPhase } from "@bmi/proto/bmi/events/v1/events";
import {
  JobState, WatchJobRequest, type Job, type OrchestratorClient, type ProvisionOptions, type WatchJobResponse,
} from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { waitJob } from "../e2e/jobs";
import type { VmNode } from "../e2e/vm-node";

/** What BMI's Linux image prints (deploy/linux-image/bmi-init) and what the tests' user-data prints. */
export const USERSPACE = /BMI-LINUX: userspace reached/g;
export const READY = /BMI-LINUX: ready as (\S+)/;

/**
 * A boot of the Linux image, power-on to userspace, can take a minute and more under TCG (about 18 s to the
 * kernel, 35 s of kernel and initramfs), longer with two VMs and other tests on two cores.
 */
export const LINUX_BOOT_DEADLINE_S = 300;

/** Provision options that wait until the OS on the disk reports userspace, with the node's metadata. */
export function linuxOptions(hostname: string, userData: string): ProvisionOptions {
  return { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: LINUX_BOOT_DEADLINE_S, hostname, userData, waitForUserspace: true };
}

/** Seconds from the power step to the OS's userspace report, as the job's boot_seen step measured it. */
export function bootSeconds(job: Job): number {
  return Number(job.steps.find((s) => s.name === "boot_seen")?.outputs.seconds ?? NaN);
}

/**
 * Arms the VM (a fresh paused QEMU: powered off), submits the job that power-cycles it and waits until the job has
 * finished, succeeded or not: a job with wait_for_userspace ends when the OS is up or the boot failed.
 */
export async function bootJob(orch: PromiseClient<OrchestratorClient>, vm: VmNode,
  submit: () => Promise<{ job?: Job | undefined }>): Promise<Job> {
  await vm.arm();
  const { job } = await submit();
  if (!job) throw new Error("the orchestrator answered no job");
  return waitJob(orch, job.id, (LINUX_BOOT_DEADLINE_S + 60) * 1000);
}

/** The job's result, or an error with the VM's serial log (kernel, initramfs, bmi-init). */
export function assertBooted(job: Job, vm: VmNode): Job {
  if (job.state === JobState.JOB_STATE_SUCCEEDED) return job;
  const failed = job.steps.filter((s) => s.error).map((s) => `${s.name}: ${s.error}`).join("; ");
  throw new Error(`job ${job.id} ended ${JobState[job.state]}: ${job.error} ${failed}\n--- ${vm.name}: ${vm.describe()}`);
}

/**
 * Waits until the VM's serial log, past its first `from` characters, matches `re` (the VM keeps running); throws
 * with the log after `deadlineMs`. Answers the match and where the raw log (\r included) ended.
 */
export async function serialMatch(vm: VmNode, re: RegExp, deadlineMs: number, from = 0): Promise<{ m: RegExpExecArray; end: number }> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    // `from` and `end` count the raw log (with its \r), the one callers slice.
    const serial = vm.serial();
    const m = re.exec(serial.slice(from).replace(/\r/g, ""));
    if (m) return { m, end: serial.length };
    if (Date.now() > until) throw new Error(`VM ${vm.name}: ${re} not seen within ${deadlineMs} ms\n${vm.describe()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The tests' user-data: reports the host name, what / is mounted from and whether that disk is an iSCSI LUN (its
 * sysfs path runs through an iSCSI session), whether the loopback interface is up, and the marker file. With `write`, a boot that finds no marker writes
 * one, syncs and reboots from inside the OS.
 */
export function reportScript(write?: string): string {
  return [
    "#!/bin/sh",
    "dev=$(awk '$2 == \"/\" { print $1 }' /proc/mounts)",
    "disk=$(basename \"$dev\" | sed 's/[0-9]*$//')",
    "echo \"BMI-TEST hostname=$(hostname)\"",
    "echo \"BMI-TEST root=$(awk '$2 == \"/\" { print $1 \",\" $3 }' /proc/mounts)\"",
    "echo \"BMI-TEST sysfs=$(readlink -f /sys/block/$disk/device)\"",
    "if [ $(( $(cat /sys/class/net/lo/flags) & 1 )) = 1 ]; then echo \"BMI-TEST lo=up\"; else echo \"BMI-TEST lo=down\"; fi",
    "if [ -f /var/lib/bmi/marker ]; then echo \"BMI-TEST found=$(cat /var/lib/bmi/marker)\"; else echo \"BMI-TEST found=none\"",
    ...(write ? [`  echo ${write} > /var/lib/bmi/marker && sync && echo "BMI-TEST wrote=${write}" && reboot -f`] : []),
    "fi",
    "",
  ].join("\n");
}

/** The report a reportScript boot printed, by key. */
export function report(serial: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of serial.replace(/\r/g, "").matchAll(/^BMI-TEST (\w+)=(.*)$/gm)) out[m[1] ?? ""] = m[2] ?? "";
  return out;
}

/**
 * The boot phases joined to the job (WatchJob from the start), each with its seconds since the job's power step
 * started: SCRIPT_SERVED, BOOT_ATTEMPTED, then USERSPACE for a boot that reached the OS.
 */
export async function bootTimeline(orch: PromiseClient<OrchestratorClient>, job: Job): Promise<Array<{ phase: string; s: number }>> {
  const power = job.steps.find((x) => x.name === "power")?.started?.getTime() ?? 0;
  const out: Array<{ phase: string; s: number }> = [];
  const call = orch.raw.watchJob(WatchJobRequest.fromPartial({ id: job.id, fromStart: true }), orch.metadata(), orch.callOptions());
  for await (const res of call as AsyncIterable<WatchJobResponse>) {
    const b = res.event?.boot;
    if (b) out.push({ phase: BootPhase[b.phase].replace(/^BOOT_PHASE_/, ""), s: ((b.time?.getTime() ?? 0) - power) / 1000 });
  }
  return out;
}
