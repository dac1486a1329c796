import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { createNetns, type TestNetns } from "@bmi/testing";
import { DhcpFormat } from "@bmi/proto/bmi/boot/v1/boot";
import { buildDemoImage } from "../demo-image";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { BOOT_DEADLINE_MS } from "./flows";
import { assertSucceeded, waitJob } from "./jobs";
import { uploadRawImage } from "./upload";
import type { VmNode } from "./vm-node";

const run = promisify(execFile);
const PROJECT = "e2e";
let net: TestNetns;
let s: E2eStack;
let vm: VmNode;

// A private L2 network in a namespace: dnsmasq there is the VM's only DHCP server, configured from nothing but
// boot-service's hints; the VM reaches boot-service and tgtd through the veth's host end.
before(async () => {
  net = await createNetns();
  s = await startE2eStack({ tag: "ns", vmHost: net.hostAddress });
  await uploadRawImage(s.image, PROJECT, "demo", await buildDemoImage({ dir: s.dir, marker: "golden-ns" }));
  vm = await s.addVm("ns-n1", "52:54:00:e2:04:01", { kind: "tap", tap: net.tap, netns: net.name });
});
after(async () => {
  await s?.stop();
  await net?.destroy();
});

test("a VM gets its address and boot script from dnsmasq configured with boot-service's DHCP hints", { timeout: 180_000 }, async () => {
  const { job } = await s.orch.provisionNode({ project: PROJECT, spec: { node: vm.name, image: "demo", disk: "", nic: "", network: "" },
    options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
  assertSucceeded(await waitJob(s.orch, job?.id ?? ""));
  const hints = await s.boot.renderDhcpHints({ format: DhcpFormat.DHCP_FORMAT_DNSMASQ, project: PROJECT });
  assert.ok(hints.content.includes(vm.mac), hints.content);
  // A router advertisement ends iPXE's IPv6 autoconfiguration at once; without one it waits about 13 s.
  await run("ip", ["-n", net.name, "addr", "add", "fd77::1/64", "dev", net.bridge]);
  const dnsmasq = await net.startDnsmasq({ dir: s.dir, conf: [
    `interface=${net.bridge}`, `dhcp-range=${net.subnet}.100,${net.subnet}.199,255.255.255.0,1h`,
    "enable-ra", "dhcp-range=fd77::,ra-only,64", ...hints.content.split("\n").filter((l) => l && !l.startsWith("#")),
  ] });

  const boot = vm.waitForExit(BOOT_DEADLINE_MS);
  await s.haas.powerCycle({ project: PROJECT, node: vm.name, force: true });
  const result = await boot;
  assert.equal(result.exitCode, 99, vm.describe());
  assert.deepEqual(result.demo, { marker: "golden-ns", counter: 0, saved: 1 });
  assert.match(readFileSync(dnsmasq.logFile, "utf8"), new RegExp(`DHCPACK\\(${net.bridge}\\) ${net.subnet.replace(/\./g, "\\.")}\\.\\d+ ${vm.mac}`), "dnsmasq gave the VM its address");
  console.log(`# netns: DHCP from dnsmasq, boot ${result.ms} ms`);
});
