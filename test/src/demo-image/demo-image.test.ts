import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { bootVm, startTgtd, type TestTgtd } from "@bmi/testing";
import { buildDemoImage, DEMO_DONE, parseDemoSerial, readDemoData } from "./index";

const IQN = "iqn.2026-01.org.bmi.test:demo.image";
const INITIATOR = "iqn.2026-01.org.bmi.test:node.demo";
const MAC = "52:54:00:de:00:01";
const LKRN = "/usr/lib/ipxe/ipxe.lkrn";

describe("demo image builder", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bmi-demo-img-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("writes the marker and counter into the data sector", async () => {
    const file = await buildDemoImage({ dir, marker: "golden-1.a_b", counter: 4_000_000_000, sizeBytes: 1 << 20 });
    assert.deepEqual(readDemoData(file), { marker: "golden-1.a_b", counter: 4_000_000_000 });
  });

  test("refuses markers that would not survive nasm or a serial line", async () => {
    for (const marker of ["", "a b", 'x"y', "a".repeat(64)]) {
      await assert.rejects(buildDemoImage({ dir, marker }), /marker/);
    }
    await assert.rejects(buildDemoImage({ dir, marker: "ok", sizeBytes: 1000 }), /multiple of 512/);
  });

  test("parses what a boot printed, between SeaBIOS and iPXE lines", () => {
    const serial = "iPXE ...\r\nBooting from SAN device 0x8\r\nBMI-DEMO marker=m-1 counter=41\r\n0\r\nBMI-DEMO saved counter=42\r\n";
    assert.deepEqual(parseDemoSerial(serial), { marker: "m-1", counter: 41, saved: 42 });
    assert.ok(DEMO_DONE.test(serial));
    assert.deepEqual(parseDemoSerial("BMI-DEMO marker=m counter=1\r\nBMI-DEMO error write ah=03\r\n"),
      { marker: "m", counter: 1, error: "write ah=03" });
    assert.equal(parseDemoSerial("iPXE> "), undefined);
  });
});

// The image booted for real: a tgtd target with CHAP and an initiator ACL, iPXE's sanboot, BIOS int 13h.
describe("demo image boots from an iSCSI LUN through iPXE", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bmi-demo-boot-"));
  let tgtd: TestTgtd | undefined;
  let image = "";
  let iscsiPort = "";
  const password = "demo-chap-secret-1";

  before(async () => {
    image = await buildDemoImage({ dir, marker: "demo-golden", counter: 0 });
    tgtd = await startTgtd({ dir });
    iscsiPort = tgtd.portal.split(":")[1] ?? "";
    await tgtd.exportFile({ tid: 1, iqn: IQN, file: image, initiator: INITIATOR, user: "demo", password });
  });
  after(async () => {
    await tgtd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // `staticIp` skips DHCP: the lkrn fast path, where no ROM has configured the NIC yet.
  const script = (secret: string, staticIp = false) => [
    "#!ipxe", ...(staticIp ? ["set net0/ip 10.0.2.15", "set net0/netmask 255.255.255.0", "ifopen net0"] : []),
    `set initiator-iqn ${INITIATOR}`, "set username demo", `set password ${secret}`,
    `sanboot iscsi:10.0.2.2::${iscsiPort}:1:${IQN} || echo BMI-SANBOOT-FAILED`, "",
  ].join("\n");

  test("the NIC's iPXE ROM fetches the script over HTTP, then each boot increments the counter on the LUN", async () => {
    const server = http.createServer((_req, res) => res.end(script(password)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const first = await bootVm({
        dir, name: "rom", mac: MAC, deadlineMs: 60_000,
        net: { kind: "user", bootfile: `http://10.0.2.2:${port}/boot.ipxe` },
      });
      assert.equal(first.exitCode, 99, first.serial);
      assert.deepEqual(parseDemoSerial(first.serial), { marker: "demo-golden", counter: 0, saved: 1 });
      console.log(`# ROM path (DHCP, HTTP, sanboot): ${first.ms} ms`);
    } finally {
      server.close();
    }
    // The fast path for the second boot: iPXE as a kernel with the script as initrd, static address.
    const initrd = path.join(dir, "boot.ipxe");
    writeFileSync(initrd, script(password, true));
    const second = await bootVm({ dir, name: "lkrn", mac: MAC, deadlineMs: 30_000, net: { kind: "user" }, kernel: LKRN, initrd });
    assert.equal(second.exitCode, 99, second.serial);
    assert.deepEqual(parseDemoSerial(second.serial), { marker: "demo-golden", counter: 1, saved: 2 });
    console.log(`# lkrn path (static address, sanboot): ${second.ms} ms`);
    assert.deepEqual(readDemoData(image), { marker: "demo-golden", counter: 2 });
  });

  test("with a wrong CHAP secret iPXE cannot open the disk and nothing is written", async () => {
    const initrd = path.join(dir, "wrong.ipxe");
    writeFileSync(initrd, script("not-the-secret-1", true));
    const before = readDemoData(image);
    const res = await bootVm({
      dir, name: "wrong", mac: MAC, deadlineMs: 30_000, net: { kind: "user" }, kernel: LKRN, initrd,
      until: /BMI-SANBOOT-FAILED/,
    });
    assert.match(res.serial, /Could not (open|boot)/);
    assert.equal(parseDemoSerial(res.serial), undefined);
    assert.deepEqual(readDemoData(image), before);
  });
});
