import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BootPhase } from "@bmi/proto/bmi/events/v1/events";
import { Firmware } from "@bmi/proto/bmi/common/v1/common";
import { bootVm, buildBootDisk, freePort, hasOvmf, markerPattern, startTgtd, type TestTgtd } from "@bmi/testing";
import { BootServiceFixture } from "./testkit/vm-fixture";

const IQN = "iqn.2026-01.org.example.test:proj1.vm-disk";
const MUTUAL_IQN = "iqn.2026-01.org.example.test:proj1.vm-mutual";
const INITIATOR = "iqn.2026-01.org.example.test:vm-node";
const CHAP = { user: "bmi-vm-test", secret: randomBytes(18).toString("base64url") };
// The fixture's client has the orchestrator's certificate: it calls for a user of proj1, as the orchestrator does.
const FOR_PROJ1 = { onBehalfOf: { user: "vm-test", projects: ["proj1"], admin: false } };

describe("boot-service: TCG VMs network-boot through its scripts from a tgtd target", () => {
  const f = new BootServiceFixture();
  let tgtd: TestTgtd;
  let deadPort: number;
  let disk: string;
  const config = (node: string, mac: string, over: { secret?: string; portals?: string[]; iqn?: string; reverse?: { user: string; secret: string } } = {}) => ({
    config: {
      node, project: "proj1", macs: [mac], initiatorIqn: INITIATOR, firmware: Firmware.FIRMWARE_BIOS, efiLoader: "", updated: undefined,
      target: { iqn: over.iqn ?? IQN, portals: over.portals ?? [`10.0.2.2:${tgtd.portal.split(":")[1]}`], lun: 1 },
      chap: { user: CHAP.user, secret: over.secret ?? CHAP.secret }, reverseChap: over.reverse, binding: undefined,
    },
  });

  before(async () => {
    await f.start(() => ({ BMI_BOOT_SAN_ATTEMPTS: "2", BMI_BOOT_SAN_RETRY_DELAY_S: "1" }));
    tgtd = await startTgtd({ dir: f.dir });
    disk = await buildBootDisk({ dir: f.dir, marker: "BOOT-SVC-VM" });
    await tgtd.exportFile({ tid: 1, iqn: IQN, file: disk, initiator: INITIATOR, user: CHAP.user, password: CHAP.secret });
    deadPort = await freePort();
  });
  after(async () => {
    await f.close();
    await tgtd?.stop();
  });

  it("boots via /boot.ipxe and its own script over the second portal when the first is dead, and reports phases", async () => {
    const live = `10.0.2.2:${tgtd.portal.split(":")[1]}`;
    await f.node("vm-a", "proj1", ["52:54:00:b0:00:01"]);
    await f.client.setBootConfig(config("vm-a", "52:54:00:b0:00:01", { portals: [`10.0.2.2:${deadPort}`, live] }), FOR_PROJ1);
    const vm = await bootVm({
      dir: f.dir, name: "vm-a", mac: "52:54:00:b0:00:01", net: { kind: "user", bootfile: `http://10.0.2.2:${f.httpPort}/boot.ipxe` },
      until: markerPattern("BOOT-SVC-VM"), deadlineMs: 60_000,
    });
    assert.match(vm.serial, /iBFT: present/);
    console.log(`# ROM -> HTTP -> iSCSI boot: marker after ${vm.ms} ms`);
    await f.event((e) => e.node === "vm-a" && e.phase === BootPhase.BOOT_PHASE_SCRIPT_SERVED && e.mac === "52:54:00:b0:00:01");
    const attempted = await f.event((e) => e.node === "vm-a" && e.phase === BootPhase.BOOT_PHASE_BOOT_ATTEMPTED);
    assert.equal(attempted.attempt, 1);
    assert.equal(attempted.project, "proj1");
  });

  it("a PXE client chain-loads undionly.kpxe over the in-process TFTP server, then boots the same way", async () => {
    await f.node("vm-b", "proj1", ["52:54:00:b0:00:02"]);
    await f.client.setBootConfig(config("vm-b", "52:54:00:b0:00:02"), FOR_PROJ1);
    // ipxe.lkrn stands in for a PXE ROM: it fetches undionly.kpxe over TFTP, which does its own DHCP and HTTP.
    const script = path.join(f.dir, "pxe.ipxe");
    writeFileSync(script, `#!ipxe\ndhcp\nchain tftp://10.0.2.2:${f.tftpPort}/undionly.kpxe\n`);
    const vm = await bootVm({
      dir: f.dir, name: "vm-b", mac: "52:54:00:b0:00:02", net: { kind: "user", bootfile: `http://10.0.2.2:${f.httpPort}/boot.ipxe` },
      kernel: "/usr/lib/ipxe/ipxe.lkrn", initrd: script, until: markerPattern("BOOT-SVC-VM"), deadlineMs: 60_000,
    });
    assert.match(vm.serial, /undionly\.kpxe/);
    console.log(`# TFTP -> undionly.kpxe -> HTTP -> iSCSI boot: marker after ${vm.ms} ms`);
  });

  it("boots under UEFI (OVMF): sanboot --filename starts \\EFI\\BOOT\\BOOTX64.EFI from the disk's EFI partition",
    { skip: hasOvmf() ? false : "OVMF is not installed (Debian package ovmf)" }, async () => {
      await f.node("vm-u", "proj1", ["52:54:00:b0:00:04"]);
      await f.client.setBootConfig(config("vm-u", "52:54:00:b0:00:04"), FOR_PROJ1);
      const vm = await bootVm({
        dir: f.dir, name: "vm-u", mac: "52:54:00:b0:00:04", net: { kind: "user", bootfile: `http://10.0.2.2:${f.httpPort}/boot.ipxe` },
        firmware: "uefi", until: /UEFI loader from the EFI system partition/, deadlineMs: 120_000,
      });
      assert.match(vm.serial, markerPattern("BOOT-SVC-VM"));
      assert.match(vm.serial, /Booting \\EFI\\BOOT\\BOOTX64\.EFI from SAN device/);
      console.log(`# UEFI: OVMF -> HTTP -> iSCSI -> EFI loader: marker after ${vm.ms} ms`);
    });

  it("with a wrong CHAP secret the script retries, reports each failure and exits to the firmware", async () => {
    await f.node("vm-c", "proj1", ["52:54:00:b0:00:03"]);
    await f.client.setBootConfig(config("vm-c", "52:54:00:b0:00:03", { secret: "wrong-wrong-wrong-wrong" }), FOR_PROJ1);
    const vm = await bootVm({
      dir: f.dir, name: "vm-c", mac: "52:54:00:b0:00:03", net: { kind: "user", bootfile: `http://10.0.2.2:${f.httpPort}/boot.ipxe` },
      // SeaBIOS moving on to its next boot device is the proof that the script exited to the firmware.
      until: /Booting from Hard Disk/, deadlineMs: 60_000,
    });
    assert.match(vm.serial.replace(/\r?\n/g, ""), /no boot from .*: handing back to the firmware/);
    assert.doesNotMatch(vm.serial, /BOOT-SVC-VM OK/);
    assert.doesNotMatch(vm.serial, /iPXE>/);
    assert.doesNotMatch(vm.serial, /no boot config/);
    await f.event((e) => e.node === "vm-c" && e.phase === BootPhase.BOOT_PHASE_BOOT_FAILED && e.attempt === 2);
    console.log(`# wrong CHAP: 2 attempts, exit to firmware after ${vm.ms} ms`);
  });

  // Debian 12's iPXE (1.0.0+git-20190125) predates upstream's 2025 fix of its reverse-CHAP login (it set the
  // Transit bit in every CHAP round, which Linux's LIO target refuses); tgt accepts it, and iPXE checks the target.
  it("with mutual CHAP the node boots when the target proves its own secret, and refuses a target that cannot", async () => {
    const reverse = { user: "bmi-vm-test-t", secret: randomBytes(18).toString("base64url") };
    // The same disk and initiator account as tid 1, plus the target's own (outgoing) account.
    for (const args of [["--mode", "target", "--op", "new", "--tid", "2", "--targetname", MUTUAL_IQN],
      ["--mode", "logicalunit", "--op", "new", "--tid", "2", "--lun", "1", "--backing-store", disk],
      ["--mode", "target", "--op", "bind", "--tid", "2", "--initiator-name", INITIATOR],
      ["--mode", "account", "--op", "bind", "--tid", "2", "--user", CHAP.user],
      ["--mode", "account", "--op", "new", "--user", reverse.user, "--password", reverse.secret],
      ["--mode", "account", "--op", "bind", "--tid", "2", "--user", reverse.user, "--outgoing"]]) await tgtd.tgtadm(args);
    await f.node("vm-m", "proj1", ["52:54:00:b0:00:05"]);
    const boot = async (secret: string, until: RegExp) => {
      await f.client.setBootConfig(config("vm-m", "52:54:00:b0:00:05", { iqn: MUTUAL_IQN, reverse: { user: reverse.user, secret } }), FOR_PROJ1);
      return bootVm({
        dir: f.dir, name: "vm-m", mac: "52:54:00:b0:00:05", net: { kind: "user", bootfile: `http://10.0.2.2:${f.httpPort}/boot.ipxe` },
        until, deadlineMs: 60_000,
      });
    };
    const ok = await boot(reverse.secret, markerPattern("BOOT-SVC-VM"));
    assert.match(ok.serial, /iBFT: present/);
    const impostor = await boot("not-the-targets-secret", /Booting from Hard Disk/);
    assert.match(impostor.serial, /Could not open SAN device: Permission denied/);
    assert.doesNotMatch(impostor.serial, /BOOT-SVC-VM OK/);
    console.log(`# mutual CHAP: boot ${ok.ms} ms; a target without the node's reverse secret refused after ${impostor.ms} ms`);
  });

  it("answers 404 to unknown MACs, never logs the secret, and serves the same script after a restart", async () => {
    const base = `http://127.0.0.1:${f.httpPort}`;
    assert.equal((await fetch(`${base}/nodes/52-54-00-ff-ff-ff.ipxe`)).status, 404);
    assert.match(await (await fetch(`${base}/boot.ipxe`)).text(), /imgfetch --name bmi-node http:\/\/127\.0\.0\.1:\d+\/nodes\/\$\{mac:hexhyp\}\.ipxe/);
    const before = await (await fetch(`${base}/nodes/52-54-00-b0-00-01.ipxe`)).text();
    assert.ok(!readFileSync(f.svc.logFile, "utf8").includes(CHAP.secret), "the CHAP secret reached boot-service's log");
    await f.restart();
    assert.equal(await (await fetch(`${base}/nodes/52-54-00-b0-00-01.ipxe`)).text(), before);
  });
});
