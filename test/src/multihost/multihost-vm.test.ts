import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PowerAction, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { buildDemoImage } from "../demo-image";
import { BOOT_DEADLINE_MS } from "../e2e/flows";
import { assertSucceeded, waitJob } from "../e2e/jobs";
import { uploadRawImage } from "../e2e/upload";
import { VmNode, type VmBoot } from "../e2e/vm-node";
import { until } from "@bmi/async";
import { startLabStack, type LabStack, type LabTargetHost } from "./lab-stack";

const PROJECT = "mh";
const MARKER = "mh-demo";

// Issue 14: two target hosts on real addresses (a network namespace each, its own tgtd and target-service), two
// orchestrators (the first places one host per disk, the second two: multipath) and two image-services on one pool
// (each orchestrator and host asks its own: the image uploaded through the first is cloned through the second for
// the multipath disk), one Redis, NATS and a single-node Ceph; QEMU VMs (TCG) on the lab's bridge boot the demo image from the targets BMI placed.
describe("several target hosts in network namespaces, with VMs", { timeout: 600_000 }, () => {
  let s: LabStack;
  const vms: VmNode[] = [];
  const hostOf = new Map<string, LabTargetHost>();

  before(async () => {
    s = await startLabStack({ tag: "mhvm", hosts: 2, imageServices: 2, orchEnvs: [{ BMI_ORCH_TARGET_MULTIPATH: "1" }, { BMI_ORCH_TARGET_MULTIPATH: "2" }] });
    const net = s.lab.net;
    await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: MARKER }));
    // DHCP on the lab's bridge; the VMs' iPXE ROM fetches boot-service's script from the root namespace's address.
    await net.startDnsmasq({ dir: s.dir, conf: [
      `interface=${net.bridge}`, `dhcp-range=${net.subnet}.100,${net.subnet}.199,255.255.255.0,1h`,
      "enable-ra", `dhcp-range=${net.ipv6Prefix},ra-only,64`, "dhcp-match=set:ipxe,175", `dhcp-boot=tag:ipxe,${s.bootfileUrl}`,
    ] });
    for (let i = 1; i <= 4; i++) {
      const tap = i === 1 ? net.tap : await s.lab.addTap();
      const vm = new VmNode({ dir: s.dir, name: `mh-n${i}`, mac: `52:54:00:14:00:0${i}`, net: { kind: "tap", tap, netns: net.name } });
      vms.push(vm);
      await vm.arm();
      await s.orchs[0]!.registerNode({ name: vm.name, nics: [{ label: "eth0", mac: vm.mac, networks: {} }],
        power: { qemu: { qmpSocket: vm.qmpSocket } }, metadata: { firmware: "bios" } });
    }
    await until("both target hosts registered", async () => (await s.admin.listTargetHosts({})).hosts.filter((h) => h.alive).length === 2, 20_000);
  });
  after(async () => {
    await Promise.all(vms.map((vm) => vm.stop()));
    await s?.stop();
  });

  const vm = (i: number) => vms[i - 1]!;
  const provision = async (orch: number, node: VmNode) => {
    const { job } = await s.orchs[orch]!.provisionNode({ project: PROJECT, spec: { node: node.name, image: "demo", disk: "", nic: "", network: "" },
      options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
    return assertSucceeded(await waitJob(s.orchs[orch]!, job?.id ?? "")) satisfies Job;
  };
  /** The node's target as its boot script names it. */
  const scriptTarget = async (node: VmNode) => {
    const { config } = await s.boot.getBootConfig({ node: node.name });
    assert.ok(config?.target, `${node.name} has a boot config with a target`);
    return config.target;
  };
  const hostAt = (portal: string) => {
    const h = s.hosts.find((x) => x.portal === portal);
    assert.ok(h, `portal ${portal} is one of the lab's target hosts`);
    return h;
  };
  const exports = async (h: LabTargetHost, iqn: string) => (await h.tgtd.tgtadm(["--mode", "target", "--op", "show"])).includes(iqn);
  /** Powers the nodes on through the orchestrator at once and waits for every VM to run its disk to the end. */
  const bootAll = async (nodes: VmNode[]): Promise<VmBoot[]> => {
    await Promise.all(nodes.map((n) => n.arm()));
    const boots = Promise.all(nodes.map((n) => n.waitForExit(BOOT_DEADLINE_MS)));
    boots.catch(() => undefined);
    try {
      for (const n of nodes) await s.orchs[0]!.setNodePower({ project: PROJECT, node: n.name, action: PowerAction.POWER_ACTION_CYCLE, force: true });
      const done = await boots;
      for (const [i, b] of done.entries()) assert.equal(b.exitCode, 99, `${nodes[i]!.name} ran its disk: ${nodes[i]!.describe()}`);
      return done;
    } finally {
      await Promise.all(nodes.map((n) => n.arm()));
    }
  };

  it("places disks on both hosts (load first), and their VMs boot, each through its own host's address", async () => {
    for (const n of [vm(1), vm(2)]) await provision(0, n);
    const [t1, t2] = [await scriptTarget(vm(1)), await scriptTarget(vm(2))];
    assert.equal(t1.portals.length, 1);
    assert.equal(t2.portals.length, 1);
    const [h1, h2] = [hostAt(t1.portals[0]!), hostAt(t2.portals[0]!)];
    assert.notEqual(h1.id, h2.id, "the second disk goes to the host with fewer targets");
    hostOf.set(vm(1).name, h1).set(vm(2).name, h2);
    assert.ok(await exports(h1, t1.iqn) && !(await exports(h2, t1.iqn)), `${t1.iqn} is on ${h1.id} only`);
    assert.ok(await exports(h2, t2.iqn) && !(await exports(h1, t2.iqn)), `${t2.iqn} is on ${h2.id} only`);
    const boots = await bootAll([vm(1), vm(2)]);
    for (const b of boots) assert.deepEqual(b.demo, { marker: MARKER, counter: 0, saved: 1 });
    console.log(`# two hosts: ${vm(1).name} from ${h1.id} (${boots[0]!.ms} ms), ${vm(2).name} from ${h2.id} (${boots[1]!.ms} ms)`);
  });

  it("a drained host gets no new target", async () => {
    const drained = hostOf.get(vm(2).name)!;
    const other = hostOf.get(vm(1).name)!;
    await s.admin.drainTargetHost({ host: drained.id, undrain: false });
    try {
      // Both hosts hold one target: without the drain the tie goes to either; the drained one must not get it.
      await provision(0, vm(3));
      const t3 = await scriptTarget(vm(3));
      assert.deepEqual(t3.portals, [other.portal], `${vm(3).name} placed on ${other.id}, not the drained ${drained.id}`);
      hostOf.set(vm(3).name, other);
      const listed = (await s.admin.listTargetHosts({})).hosts;
      assert.deepEqual(listed.map((h) => [h.id, h.draining, h.targets]).sort(),
        [[drained.id, true, 1], [other.id, false, 2]].sort());
    } finally {
      await s.admin.drainTargetHost({ host: drained.id, undrain: true });
    }
  });

  it("an evacuated host's nodes boot from the other host, with their disks' data", async () => {
    const left = hostOf.get(vm(1).name)!;
    const other = s.hosts.find((h) => h !== left)!;
    const iqns = [(await scriptTarget(vm(1))).iqn, (await scriptTarget(vm(3))).iqn];
    const res = await s.admin.evacuateTargetHost({ host: left.id });
    try {
      assert.deepEqual(res.left, []);
      assert.deepEqual(res.moved.map((m) => [m.node, m.hosts]).sort(), [[vm(1).name, [other.id]], [vm(3).name, [other.id]]]);
      for (const n of [vm(1), vm(3)]) assert.deepEqual((await scriptTarget(n)).portals, [other.portal], `${n.name}'s script names ${other.id}`);
      // The host it left drops the targets at its next pass (kicked at once); the other has them.
      await until(`${left.id} dropped the evacuated targets`, async () => !(await exports(left, iqns[0]!)) && !(await exports(left, iqns[1]!)), 15_000);
      for (const iqn of iqns) assert.ok(await exports(other, iqn), `${other.id} exports ${iqn}`);
      const [b1, b3] = await bootAll([vm(1), vm(3)]);
      // vm 1 wrote its counter through the first host; the second host serves the same RBD image.
      assert.deepEqual(b1!.demo, { marker: MARKER, counter: 1, saved: 2 });
      assert.deepEqual(b3!.demo, { marker: MARKER, counter: 0, saved: 1 });
      console.log(`# evacuated ${left.id}: ${vm(1).name} and ${vm(3).name} booted from ${other.id} (${b1!.ms}, ${b3!.ms} ms)`);
    } finally {
      await s.admin.drainTargetHost({ host: left.id, undrain: true });
    }
  });

  it("multipath: one disk exported by both hosts; the first host killed before the boot, the VM boots through the other", async () => {
    // Placement gives a disk as many hosts as are alive, healthy and open, up to two: after the evacuation, and on a
    // loaded machine whose heartbeats come late, wait until both are again.
    await until("both target hosts alive, healthy and open", async () =>
      (await s.admin.listTargetHosts({})).hosts.filter((h) => h.alive && h.healthy && !h.draining).length === 2, 30_000);
    await provision(1, vm(4));
    const t4 = await scriptTarget(vm(4));
    assert.equal(new Set(t4.portals).size, 2, `the script lists both hosts' portals: ${t4.portals.join(", ")}`);
    const [first, second] = t4.portals.map(hostAt) as [LabTargetHost, LabTargetHost];
    await until("both hosts export the disk", async () => (await exports(first, t4.iqn)) && (await exports(second, t4.iqn)), 15_000);
    await first.kill();
    const [b4] = await bootAll([vm(4)]);
    assert.deepEqual(b4!.demo, { marker: MARKER, counter: 0, saved: 1 });
    assert.ok(await exports(second, t4.iqn));
    console.log(`# multipath: ${first.id} killed, ${vm(4).name} booted through ${second.id} in ${b4!.ms} ms`);
  });
});
