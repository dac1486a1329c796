import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DhcpFormat } from "@bmi/proto/bmi/boot/v1/boot";
import { Firmware } from "@bmi/proto/bmi/common/v1/common";
import { BootPhase } from "@bmi/proto/bmi/events/v1/events";
import {
  bootVm, buildBootDisk, createNetns, freePort, markerPattern, startTgtd, type TestNetns, type TestTgtd,
} from "@bmi/testing";
import { BootServiceFixture } from "./testkit/vm-fixture";

const MAC = "52:54:00:d1:00:01";
const IQN = "iqn.2026-01.org.example.test:proj1.netns-disk";
const INITIATOR = "iqn.2026-01.org.example.test:netns-node";
const CHAP = { user: "bmi-netns", secret: randomBytes(18).toString("base64url") };
// The fixture's client has the orchestrator's certificate: it calls for a user of proj1, as the orchestrator does.
const FOR_PROJ1 = { onBehalfOf: { user: "netns-test", projects: ["proj1"], admin: false } };

// The real path, with no QEMU DHCP: dnsmasq (configured from boot-service's hints, its hosts file kept in step
// by boot-service) -> the NIC's iPXE ROM -> HTTP scripts -> iSCSI, on a private L2 network.
describe("boot-service: DHCP from dnsmasq configured by the hints, then iPXE -> HTTP -> iSCSI", () => {
  const f = new BootServiceFixture();
  let net: TestNetns;
  let tgtd: TestTgtd;
  const hostsFile = path.join(f.dir, "bmi.hosts");
  const pidFile = path.join(f.dir, "dnsmasq.pid");

  before(async () => {
    net = await createNetns();
    tgtd = await startTgtd({ dir: f.dir, portal: `${net.hostAddress}:${await freePort()}` });
    const disk = await buildBootDisk({ dir: f.dir, marker: "NETNS-DHCP-VM" });
    await tgtd.exportFile({ tid: 1, iqn: IQN, file: disk, initiator: INITIATOR, user: CHAP.user, password: CHAP.secret });
    await f.start((fx) => ({
      BMI_BOOT_PUBLIC_URL: `http://${net.hostAddress}:${fx.httpPort}`, BMI_BOOT_DNSMASQ_HOSTS_FILE: hostsFile, BMI_BOOT_DNSMASQ_PID_FILE: pidFile,
    }));
  });
  after(async () => {
    await f.close();
    await net?.destroy();
    await tgtd?.stop();
  });

  it("a VM gets its address and boot file from dnsmasq and boots its disk", async () => {
    const hints = await f.client.renderDhcpHints({ format: DhcpFormat.DHCP_FORMAT_DNSMASQ, project: "" }, FOR_PROJ1);
    assert.match(hints.content, new RegExp(`dhcp-boot=tag:bmi,tag:bmi-ipxe,http://${net.hostAddress}:${f.httpPort}/boot.ipxe`));
    const dnsmasq = await net.startDnsmasq({
      dir: f.dir, pidFile, conf: [
        `interface=${net.bridge}`, `dhcp-range=${net.subnet}.100,${net.subnet}.150,255.255.255.0,1h`,
        "enable-ra", `dhcp-range=${net.ipv6Prefix},ra-only,64`, `dhcp-hostsfile=${hostsFile}`,
        ...hints.content.split("\n").filter((l) => l !== "" && !l.startsWith("#")),
      ],
    });
    // Provisioned after dnsmasq started: boot-service rewrites the hosts file and sends SIGHUP.
    await f.node("netns-node", "proj1", [MAC]);
    await f.client.setBootConfig({
      config: {
        node: "netns-node", project: "proj1", macs: [MAC], initiatorIqn: INITIATOR, firmware: Firmware.FIRMWARE_BIOS, efiLoader: "",
        target: { iqn: IQN, portals: [tgtd.portal], lun: 1 }, chap: CHAP, updated: undefined, reverseChap: undefined, binding: undefined,
      },
    }, FOR_PROJ1);
    assert.equal(readFileSync(hostsFile, "utf8"), `${MAC},set:bmi\n`);
    const vm = await bootVm({
      dir: f.dir, name: "netns-vm", mac: MAC, net: { kind: "tap", tap: net.tap, netns: net.name },
      until: markerPattern("NETNS-DHCP-VM"), deadlineMs: 90_000,
    });
    assert.match(vm.serial, new RegExp(`net0: ${net.subnet.replace(/\./g, "\\.")}\\.1[0-5]\\d/`));
    assert.match(vm.serial, /iBFT: present/);
    const log = readFileSync(dnsmasq.logFile, "utf8");
    assert.ok((log.match(/read .*bmi\.hosts/g) ?? []).length >= 2, "dnsmasq re-read the hosts file on SIGHUP");
    assert.match(log, /tags: .*bmi-ipxe/);
    await f.event((e) => e.node === "netns-node" && e.phase === BootPhase.BOOT_PHASE_BOOT_ATTEMPTED);
    console.log(`# dnsmasq DHCP -> iPXE -> HTTP -> iSCSI: marker after ${vm.ms} ms`);
  });
});
