import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { REPO_ROOT, testClientTls } from "@bmi/testing";
import { AllocationClient, LeaseState } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { startE2eStack, type E2eStack } from "../e2e/e2e-stack";
import { uploadRawImage } from "../e2e/upload";
import { VmNode } from "../e2e/vm-node";
import { linuxImage } from "../linux/linux-image";
import { LINUX_BOOT_DEADLINE_S, serialMatch } from "../linux/linux-node";
import { createLab, type Lab } from "../multihost/lab";
import { until } from "../support/stack";

// Issue 17's HPC cluster for real: `cluster up` of the shipped template deploy/clusters/hpc.yaml (a Slurm head, then
// two computes) on three QEMU VMs (TCG) booting the Slurm role image (deploy/linux-image/build.sh --variant slurm)
// from their BMI disks. Every node configures Slurm from its cluster metadata (user-data: role, peers, the cluster's
// secret as munge's key); the head runs `srun -N2 hostname` once both computes are idle and prints the output.
// The VMs share an L2 network (a namespace's bridge) where dnsmasq plays the site's DHCP and DNS: the nodes' names
// resolve to their addresses (host-record), as Slurm needs. Minutes under TCG on two cores (12 with an image
// build at load 20, BENCHMARKS.md): runs only with BMI_SLURM_VM=1 (`npm run bench -- cluster` runs it and prints
// the figures).
const PROJECT = "hpc";
const RUN = process.env.BMI_SLURM_VM === "1";
/** From cluster up to a node's `ready`: up to three Linux boots one after the other (the computes' two at once). */
const CHECK_DEADLINE_MS = (LINUX_BOOT_DEADLINE_S * 2 + 300) * 1000;
const NODES = ["hpc-n1", "hpc-n2", "hpc-n3"];

let lab: Lab;
let s: E2eStack;
let alloc: PromiseClient<AllocationClient>;
const vms: VmNode[] = [];

before(async () => {
  if (!RUN) return;
  const file = await linuxImage("slurm");
  lab = await createLab();
  const net = lab.net;
  s = await startE2eStack({ tag: "slurm", vmHost: lab.rootAddress });
  alloc = createClient(AllocationClient, s.addresses.orch, { deadlineMs: 60_000, tls: testClientTls() });
  await uploadRawImage(s.image, PROJECT, "slurm", file);
  const hosts: string[] = [];
  for (const [i, name] of NODES.entries()) {
    const tap = i === 0 ? net.tap : await lab.addTap();
    const mac = `52:54:00:17:00:0${i + 1}`;
    const vm = new VmNode({ dir: s.dir, name, mac, net: { kind: "tap", tap, netns: net.name }, memoryMiB: 512 });
    vms.push(vm);
    await vm.arm();
    await s.orch.registerNode({ name, nics: [{ label: "eth0", mac, networks: {} }], power: { qemu: { qmpSocket: vm.qmpSocket } },
      metadata: { firmware: "bios" } });
    hosts.push(`dhcp-host=${mac},${net.subnet}.${101 + i},${name}`, `host-record=${name},${net.subnet}.${101 + i}`);
  }
  // The site's DHCP and DNS: iPXE is sent to boot-service's script, every node gets its fixed address, and its name
  // (the node's name, which is also its host name) resolves to it for every other node. The boot URL goes to every
  // client, the initramfs's DHCP too: bmi-init finds boot-service (the node's metadata) from it.
  await net.startDnsmasq({ dir: s.dir, dns: true, conf: [
    `interface=${net.bridge}`, "no-resolv", `dhcp-range=${net.subnet}.100,${net.subnet}.199,255.255.255.0,1h`,
    "enable-ra", `dhcp-range=${net.ipv6Prefix},ra-only,64`, `dhcp-boot=${s.bootfileUrl}`, ...hosts,
  ] });
});
after(async () => {
  await Promise.all(vms.map((vm) => vm.stop()));
  alloc?.close();
  await s?.stop();
  await lab?.destroy();
});

test("cluster up of the HPC template on the Slurm image: the head runs srun -N2 hostname across both computes", { skip: !RUN && "BMI_SLURM_VM=1 runs it (npm run bench -- cluster)", timeout: 1_500_000 }, async () => {
  const template = readFileSync(path.join(REPO_ROOT, "deploy", "clusters", "hpc.yaml"), "utf8");
  const t0 = Date.now();
  const { cluster } = await alloc.createCluster({ project: PROJECT, name: "hpc1", template, end: undefined, powerCycle: true, dryRun: false });
  assert.ok(cluster);
  const [head, computes] = [cluster.roles[0]!.nodes, [...cluster.roles[1]!.nodes].sort()];
  assert.equal(head.length, 1);
  assert.equal(computes.length, 2);
  const vm = (n: string) => vms.find((v) => v.name === n)!;
  const headVm = vm(head[0]!);
  // The floor: when each node's OS came up (BMI's boot chain, the same for any image), beside Slurm's part.
  const userspace = [head[0]!, ...computes].map((n) => serialMatch(vm(n), /BMI-LINUX: userspace reached/, CHECK_DEADLINE_MS).then(() => Date.now()));
  for (const u of userspace) u.catch(() => undefined);

  // The head: munge with the cluster's key, slurmctld, then (once the computes registered idle) the check job.
  // bmi-init says `ready` once the Slurm hook is done, whatever it did: a failed start fails the test at once.
  const started = async (n: string, re: RegExp) => {
    await serialMatch(vm(n), /BMI-LINUX: ready as/, CHECK_DEADLINE_MS);
    assert.match(vm(n).serial().replace(/\r/g, ""), re, vm(n).describe());
    return Date.now();
  };
  const tCtld = await started(head[0]!, /BMI-SLURM: slurmctld (up|does not answer)/);
  const tSlurmd = Math.max(...await Promise.all(computes.map((c) => started(c, /BMI-SLURM: slurmd up: \S+ joins /))));
  const { m } = await serialMatch(headVm, /BMI-SLURM: check job exited (\d+)/, 300_000);
  const tJob = Date.now();
  const console_ = headVm.serial().replace(/\r/g, "");
  const ran = [...console_.matchAll(/^BMI-SLURM: srun -N2 hostname: (\S+)$/gm)].map((x) => x[1]).sort();
  assert.match(console_, /BMI-SLURM: slurmctld up/, headVm.describe());
  assert.equal(m[1], "0", `srun failed: ${headVm.describe()}`);
  assert.deepEqual(ran, computes, `srun -N2 hostname ran on both computes: ${headVm.describe()}`);
  const sec = (t: number) => `${((t - t0) / 1000).toFixed(1)} s`;
  const [tHeadUp, ...tComputesUp] = await Promise.all(userspace);
  console.log(`# slurm: cluster up -> slurmctld up ${sec(tCtld)}, both slurmd up ${sec(tSlurmd)}, srun -N2 hostname done ${sec(tJob)} ` +
    `(${ran.join(", ")}); floor (the OS up, BMI's boot chain): head ${sec(tHeadUp!)}, computes ${tComputesUp.map(sec).join(" and ")}`);

  // The start order: the computes' job was made once the head's had finished.
  const { cluster: now } = await alloc.getCluster({ project: PROJECT, name: "hpc1" });
  const lease = now!.lease!;
  const [headJob, computeJob] = await Promise.all(lease.startJobs.map(async (id) => (await s.orch.getJob({ id })).job!));
  assert.ok(computeJob!.created!.getTime() >= headJob!.finished!.getTime(), "the computes started before the head was done");

  // The cluster's secret (munge's key) reached each node through its own user-data, and nowhere else: not in what
  // the API answers, the services' logs or the nodes' consoles.
  const userData = JSON.parse((await s.boot.getBootConfig({ node: head[0]! })).config?.metadata?.userData ?? "{}") as Record<string, string>;
  const secret = userData["cluster_secret"] ?? "";
  assert.match(secret, /^[0-9a-f]{64}$/);
  const answers = JSON.stringify([now, (await alloc.getLease({ id: lease.id })).lease, headJob, computeJob]);
  assert.ok(!answers.includes(secret), "the secret is in an API answer");
  for (const p of s.processes) assert.ok(!readFileSync(p.logFile, "utf8").includes(secret), `the secret is in ${p.name}'s log`);
  for (const v of vms) assert.ok(!v.serial().includes(secret), `the secret is on ${v.name}'s console`);

  // Down: nothing left behind.
  await alloc.deleteCluster({ project: PROJECT, name: "hpc1" });
  await until("cluster gone", async () => (await alloc.listClusters({ project: PROJECT })).clusters.length === 0, 120_000, 250);
  assert.equal((await alloc.getLease({ id: lease.id })).lease!.state, LeaseState.LEASE_STATE_ENDED);
  assert.deepEqual((await s.orch.listProvisioned({ project: PROJECT })).nodes, []);
  assert.deepEqual((await s.image.listDisks({ project: PROJECT })).disks, []);
});
