import { JobState, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startE2eStack, type E2eStack } from "../e2e/e2e-stack";
import { assertSucceeded, waitJob } from "../e2e/jobs";
import { uploadRawImage } from "../e2e/upload";
import type { VmBoot, VmNode } from "../e2e/vm-node";
import { buildDemoImage } from "../demo-image";
import { percentile } from "./stats";

const PROJECT = "bench";
const DEADLINE_MS = 180_000;
/** Issue 16's goal for this bench. */
const GOAL_S = 12;

/**
 * Where a boot of the demo image is, as its serial log shows it (SeaBIOS, the NIC's iPXE ROM, the node's script,
 * sanboot, the boot sector), in the order they appear; each VM's log is read every 50 ms.
 */
const MARKS: Array<[string, RegExp]> = [
  ["ipxe-rom", /iPXE initialising devices/],
  ["dhcp-start", /Configuring \(net0/],
  ["dhcp-done", /Configuring \(net0[^)]*\)[. ]*ok/],
  ["generic-script", /boot\.ipxe\.\.\. ok/],
  ["node-script", /\/nodes\/[0-9a-f-]+\.ipxe\.\.\. ok/],
  ["sanboot", /BMI: node \S+: sanboot/],
  ["san-registered", /Registered SAN device/],
  ["boot-sector", /BMI-DEMO marker=/],
];

interface Timed { vm: VmNode; boot: VmBoot; on: number; end: number; marks: Record<string, number> }

/**
 * `npm run bench -- boot --vms N [--runs R]` (issue 16: eight VMs network-booted at once from their own disks,
 * at most 12 s wall): N TCG VMs (default 8) get their own clone of the 512-byte demo image through one bulk job
 * (local driver, power cycle, wait for boot) and boot it at once: SeaBIOS, the NIC's iPXE ROM, DHCP from QEMU's user
 * network, boot-service's generic and node scripts over HTTP, sanboot over iSCSI with CHAP, the boot sector that
 * reads and writes its disk. Prints the wall from the first power-on to the last VM done, and from the job's
 * submission; the bulk's steps before the power-on; the phases each VM reached (from its own power-on); and in the
 * same run the floor, one VM booting alone through the same chain, and the N provisioned disks powered on at once
 * through haas-gateway (no orchestrator: firmware, iPXE, boot-service, tgtd and TCG only; all at once, where the bulk
 * powers each node on when its disk, target and script are there). Run it alone under flock /tmp/bmi-heavy.lock.
 */
export async function runVms(count: number, runs: number): Promise<void> {
  const s = await startE2eStack({ tag: "bvms" });
  try {
    await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: "bench-vms" }));
    const vms = await Promise.all(Array.from({ length: count }, (_, i) =>
      s.addVm(`bvms-n${i + 1}`, `52:54:00:be:01:${(i + 1).toString(16).padStart(2, "0")}`)));
    const lines: string[] = [];
    const walls: number[] = [];
    const floors: number[] = [];
    const atOnce: number[] = [];
    const phases: Record<string, number[]> = {};
    for (let r = 0; r < runs; r++) {
      // Orchestrated: one bulk job provisions the N nodes and powers each on once its disk, target and script exist.
      const submitted = Date.now();
      const orchestrated = await bootAll(vms, async () => {
        const { job } = await s.orch.bulkProvision({
          project: PROJECT, specs: { specs: vms.map((vm) => ({ node: vm.name, image: "demo", disk: "", nic: "", network: "" })) },
          maxParallel: count, minSuccess: 0, allOrNothing: true, idempotencyKey: "",
          options: { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: DEADLINE_MS / 1000 },
        });
        return assertSucceeded(await waitJob(s.orch, job?.id ?? "", DEADLINE_MS));
      });
      const jobDone = orchestrated.result.finished?.getTime() ?? NaN;
      // The floor: the same provisioned disks, every node powered on at once through haas-gateway.
      const floor = await bootAll(vms, () => Promise.all(vms.map((vm) => s.haas.powerCycle({ project: PROJECT, node: vm.name, force: true }))));
      const alone = await bootAll(vms.slice(0, 1), () => s.haas.powerCycle({ project: PROJECT, node: vms[0]!.name, force: true }));
      await deprovisionAll(s, vms);
      const wall = spanS(orchestrated.timed);
      walls.push(wall);
      floors.push(spanS(alone.timed));
      atOnce.push(spanS(floor.timed));
      const powered = orchestrated.timed.map((t) => (t.on - submitted) / 1000);
      for (const t of orchestrated.timed) for (const [k, v] of Object.entries(t.marks)) (phases[k] ??= []).push((v - t.on) / 1000);
      (phases.done ??= []).push(...orchestrated.timed.map((t) => (t.end - t.on) / 1000));
      const each = orchestrated.timed.map((t) => (t.end - t.on) / 1000);
      lines.push(`run ${r + 1}: power-on -> all ${count} booted ${wall.toFixed(1)} s; submit -> all booted ` +
        `${((Math.max(...orchestrated.timed.map((t) => t.end)) - submitted) / 1000).toFixed(1)} s (bulk job ${((jobDone - submitted) / 1000).toFixed(1)} s, ` +
        `power-ons ${Math.min(...powered).toFixed(1)}-${Math.max(...powered).toFixed(1)} s after submit); ` +
        `per VM ${Math.min(...each).toFixed(1)}-${Math.max(...each).toFixed(1)} s\n` +
        `       the bulk's steps, p50 ms: ${await stepsOf(s, orchestrated.result)}\n` +
        `       floor: one VM alone ${spanS(alone.timed).toFixed(1)} s; the ${count} provisioned disks powered on at once through ` +
        `haas-gateway (no orchestrator) ${spanS(floor.timed).toFixed(1)} s`);
    }
    const order = [...MARKS.map(([k]) => k), "done"];
    const median = (xs: number[]) => percentile(xs, 50);
    process.stdout.write(`\nboot --vms ${count}: the demo boot sector on ${count} TCG VMs at once, each from its own disk (local driver), ${runs} run(s)\n` +
      `${lines.join("\n")}\n` +
      `phases, seconds from each VM's power-on (p50 / max over the orchestrated boots): ` +
      `${order.filter((k) => phases[k]).map((k) => `${k} ${median(phases[k]!).toFixed(1)}/${Math.max(...phases[k]!).toFixed(1)}`).join(", ")}\n` +
      `median: power-on -> all booted ${median(walls).toFixed(1)} s (goal <= ${GOAL_S} s); floor: one VM alone ${median(floors).toFixed(1)} s; ` +
      `all at once without the orchestrator ${median(atOnce).toFixed(1)} s\n`);
  } finally {
    await s.stop();
  }
}

/**
 * Arms every VM (a fresh paused QEMU: powered off), runs `start` (which powers them on), and waits for every VM to
 * run the demo image to its end, noting when each reached each of MARKS. Re-arms them afterwards.
 */
async function bootAll<T>(vms: VmNode[], start: () => Promise<T>): Promise<{ result: T; timed: Timed[] }> {
  await Promise.all(vms.map((vm) => vm.arm()));
  const marks = vms.map(() => ({} as Record<string, number>));
  const watch = setInterval(() => {
    for (const [i, vm] of vms.entries()) {
      const serial = vm.serial();
      for (const [k, re] of MARKS) if (marks[i]![k] === undefined && re.test(serial)) marks[i]![k] = Date.now();
    }
  }, 50);
  const boots = Promise.all(vms.map(async (vm, i) => {
    const boot = await vm.waitForExit(DEADLINE_MS);
    const end = Date.now();
    if (boot.exitCode !== 99) throw new Error(`VM ${vm.name} ended ${boot.exitCode}, not the demo image's 99: ${vm.describe()}`);
    return { vm, boot, on: end - boot.ms, end, marks: marks[i]! };
  }));
  boots.catch(() => undefined); // awaited below
  try {
    const result = await start();
    return { result, timed: await boots };
  } finally {
    clearInterval(watch);
    await Promise.all(vms.map((vm) => vm.arm()));
  }
}

/** Each step of the bulk job's node jobs, p50 of its duration in ms. */
async function stepsOf(s: E2eStack, bulk: Job): Promise<string> {
  const { jobs } = await s.orch.listJobs({ project: PROJECT, state: JobState.JOB_STATE_UNSPECIFIED, limit: 100, includeChildren: true });
  const ms: Record<string, number[]> = {};
  for (const j of jobs.filter((x) => x.parentId === bulk.id)) {
    for (const st of j.steps) if (st.started && st.finished) (ms[st.name] ??= []).push(st.finished.getTime() - st.started.getTime());
  }
  return Object.entries(ms).map(([k, v]) => `${k} ${percentile(v, 50).toFixed(0)}`).join(", ");
}

/** Seconds from the first VM's power-on to the last VM's end. */
function spanS(timed: Timed[]): number {
  return (Math.max(...timed.map((t) => t.end)) - Math.min(...timed.map((t) => t.on))) / 1000;
}

async function deprovisionAll(s: E2eStack, vms: VmNode[]): Promise<void> {
  await Promise.all(vms.map(async (vm) => assertSucceeded(await waitJob(s.orch, (await s.orch.deprovisionNode({
    project: PROJECT, node: vm.name, deleteDisk: true, releaseNode: false, idempotencyKey: "" })).job?.id ?? ""))));
}
