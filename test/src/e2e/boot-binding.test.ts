import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { bootPhaseSubject, EventBus } from "@bmi/events";
import { silentLogger } from "@bmi/log";
import { BootPhase, BootPhaseEvent } from "@bmi/proto/bmi/events/v1/events";
import { DhcpFormat } from "@bmi/proto/bmi/boot/v1/boot";
import { until as untilAsync } from "@bmi/async";
import { connectRedis, type Redis } from "@bmi/redis";
import { createNetns, iscsiInquiry, uniquePrefix, type IscsiLogin, type TestNetns } from "@bmi/testing";
import { buildDemoImage } from "../demo-image";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { BOOT_DEADLINE_MS, jobThatBoots } from "./flows";
import { assertSucceeded, waitJob } from "./jobs";
import { uploadRawImage } from "./upload";
import type { VmBoot, VmNode } from "./vm-node";

const run = promisify(execFile);
const PROJECT = "e2e";
let net: TestNetns;
let s: E2eStack;
let vm: VmNode;
let redis: Redis;
let bus: EventBus;
const events: BootPhaseEvent[] = [];

// Real addresses: the VM sits on a private L2 network in a namespace (dnsmasq there, from boot-service's hints)
// and reaches boot-service and tgtd through the veth's host end, so each side sees the other's own address.
before(async () => {
  net = await createNetns();
  // Mutual CHAP on: every boot below also proves the node checked the target, through the whole chain.
  s = await startE2eStack({ tag: "bind", vmHost: net.hostAddress, targetEnv: { BMI_TARGET_MUTUAL_CHAP: "true" } });
  await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: "golden-bind" }));
  vm = await s.addVm("bind-n1", "52:54:00:e2:05:01", { kind: "tap", tap: net.tap, netns: net.name });
  redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
  bus = new EventBus({ servers: ["nats://127.0.0.1:4222"], redis, outboxKey: `${uniquePrefix("bind")}outbox`, log: silentLogger() });
  bus.start();
  (await bus.ready()).subscribe(bootPhaseSubject(vm.name), { callback: (err, msg) => { if (!err) events.push(BootPhaseEvent.decode(msg.data)); } });
});
after(async () => {
  await bus?.close();
  redis?.disconnect();
  await s?.stop();
  await net?.destroy();
});

/** Powers the VM on through haas-gateway only, as a reboot from inside the OS would: nobody arms anything. */
async function powerOn(): Promise<VmBoot> {
  await vm.arm();
  const boot = vm.waitForExit(BOOT_DEADLINE_MS);
  await s.haas.powerCycle({ project: PROJECT, node: vm.name, force: true });
  return boot;
}

/** Logs in from inside the namespace with the VM's own address as the source (the VM is off meanwhile). */
async function loginAsNode(address: string, login: IscsiLogin): Promise<{ ok: boolean; output: string }> {
  const ns = (...args: string[]) => run("ip", ["-n", net.name, ...args]);
  await ns("addr", "add", `${address}/32`, "dev", net.bridge);
  await ns("route", "add", `${net.hostAddress}/32`, "dev", net.bridge, "src", address);
  // The host still maps the address to the VM's MAC from its last boot.
  await run("ip", ["neigh", "flush", "to", address]).catch(() => undefined);
  try {
    const cred = login.chap ? `${login.chap.user}%${login.chap.secret}@` : "";
    const r = await run("nsenter", [`--net=/run/netns/${net.name}`, "iscsi-inq", "-i", login.initiator,
      `iscsi://${cred}${login.portal}/${login.iqn}/1`], { timeout: 20_000 });
    return { ok: true, output: r.stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  } finally {
    await ns("route", "del", `${net.hostAddress}/32`).catch(() => undefined);
    await ns("addr", "del", `${address}/32`, "dev", net.bridge).catch(() => undefined);
  }
}

async function target(disk: string) {
  const t = (await s.target.getTarget({ project: PROJECT, disk })).target;
  assert.ok(t?.target && t.chap, `target of ${disk}`);
  return { portal: t.target.portals[0] ?? "", iqn: t.target.iqn, initiator: t.initiatorIqn, chap: t.chap, address: t.initiatorAddress,
    reverse: t.reverseChap?.user ?? "" };
}

test("a boot script and its disk reach only their node: it boots and reboots, nobody else gets the script or logs in, "
  + "and a re-provision rotates the secret", { timeout: 300_000 }, async () => {
  const { job } = await s.orch.provisionNode({ project: PROJECT, spec: { node: vm.name, image: "demo", disk: "", nic: "", network: "" },
    options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
  const disk = assertSucceeded(await waitJob(s.orch, job?.id ?? "")).steps.find((x) => x.name === "disk")?.outputs.disk ?? "";
  const hints = await s.boot.renderDhcpHints({ format: DhcpFormat.DHCP_FORMAT_DNSMASQ, project: PROJECT });
  const dnsmasq = await net.startDnsmasq({ dir: s.dir, conf: [
    `interface=${net.bridge}`, `dhcp-range=${net.subnet}.100,${net.subnet}.199,255.255.255.0,1h`,
    "enable-ra", `dhcp-range=${net.ipv6Prefix},ra-only,64`, ...hints.content.split("\n").filter((l) => l && !l.startsWith("#")),
  ] });

  // Provisioned, so armed: the first boot binds the script and the target's ACL to the VM's address.
  const first = await powerOn();
  assert.deepEqual(first.demo, { marker: "golden-bind", counter: 0, saved: 1 }, vm.describe());
  const address = /DHCPACK\(\S+\) (\d+\.\d+\.\d+\.\d+) 52:54:00:e2:05:01/.exec(readFileSync(dnsmasq.logFile, "utf8"))?.[1] ?? "";
  assert.notEqual(address, "");
  const bound = await target(disk);
  assert.equal(bound.address, address);
  assert.match(bound.reverse, /^bmi-[0-9a-f]{20}-t$/);
  assert.match((await s.boot.renderScript({ node: vm.name, mac: "" })).script, new RegExp(`^set reverse-username ${bound.reverse}$`, "m"));
  assert.equal((await s.boot.getBootConfig({ node: vm.name })).config?.binding?.address, address);
  // The tenant reboots it from inside: nothing re-arms, and it still gets its script from the same address.
  const reboot = await powerOn();
  assert.deepEqual(reboot.demo, { marker: "golden-bind", counter: 1, saved: 2 }, vm.describe());

  // Anyone else: 404, as for an unknown MAC, and an event naming the MAC and who asked.
  const stolen = await fetch(`http://127.0.0.1:${s.httpPort}/nodes/52-54-00-e2-05-01.ipxe`);
  assert.equal(stolen.status, 404);
  assert.doesNotMatch(await stolen.text(), /password/);
  await until(() => events.some((e) => e.phase === BootPhase.BOOT_PHASE_SCRIPT_REFUSED && e.remoteAddress === "127.0.0.1"));
  const refused = events.find((e) => e.phase === BootPhase.BOOT_PHASE_SCRIPT_REFUSED);
  assert.equal(refused?.mac, "52:54:00:e2:05:01");
  // The right CHAP from another address (this host, and the namespace's own address): refused by the ACL.
  const right: IscsiLogin = { portal: bound.portal, iqn: bound.iqn, initiator: bound.initiator, chap: bound.chap };
  assert.match((await iscsiInquiry(right)).output, /Target not found/);
  assert.match((await loginAsNode(net.nsAddress, right)).output, /Target not found/);
  assert.equal((await loginAsNode(address, right)).ok, true, "the node's own address logs in");

  // Deprovisioned with its disk kept, then re-provisioned onto it: the same target name with new secrets, armed
  // again by the power step, and the node boots with them.
  await vm.arm();
  assertSucceeded(await waitJob(s.orch, (await s.orch.deprovisionNode({ project: PROJECT, node: vm.name, deleteDisk: false,
    releaseNode: false, idempotencyKey: "" })).job?.id ?? ""));
  const { boot: third } = await jobThatBoots(s.orch, vm, () => s.orch.reprovisionNode({ project: PROJECT, node: vm.name, disk,
    options: { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 60 }, idempotencyKey: "" }));
  assert.deepEqual(third.demo, { marker: "golden-bind", counter: 2, saved: 3 }, vm.describe());
  const rotated = await target(disk);
  assert.notEqual(rotated.chap.secret, bound.chap.secret);
  assert.match((await loginAsNode(address, right)).output, /Authentication failure/);
  assert.equal((await loginAsNode(address, { ...right, chap: rotated.chap })).ok, true);
  console.log(`# bound boot: first ${first.ms} ms, reboot ${reboot.ms} ms, after re-provision ${third.ms} ms`);
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  await untilAsync(() => `the event; events: ${JSON.stringify(events.map((e) => [e.phase, e.remoteAddress]))}`, cond, timeoutMs, 50);
}
