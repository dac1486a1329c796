import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sample } from "../testkit/support";
import { renderHints } from "./index";

const o = { scriptUrl: "http://10.0.0.9:8080/boot.ipxe", tftpServer: "10.0.0.9", biosFile: "undionly.kpxe", efiFile: "snponly.efi" };
const configs = [sample(), sample({ node: "n2", macs: ["52:54:00:00:00:03"] })];

describe("DHCP hints", () => {
  it("dnsmasq: hosts-file lines tag provisioned MACs; iPXE, UEFI x86-64 and BIOS get exclusive boot lines", () => {
    const h = renderHints("dnsmasq", configs, o);
    assert.equal(h.hostsFile, "52:54:00:00:00:01,set:bmi\n52:54:00:00:00:02,set:bmi\n52:54:00:00:00:03,set:bmi\n");
    const lines = h.content.split("\n");
    for (const l of [
      "dhcp-match=set:bmi-ipxe,175", "dhcp-userclass=set:bmi-ipxe,iPXE",
      "dhcp-match=set:bmi-efi64,option:client-arch,7", "dhcp-match=set:bmi-efi64,option:client-arch,9",
      "dhcp-boot=tag:bmi,tag:bmi-ipxe,http://10.0.0.9:8080/boot.ipxe",
      "dhcp-boot=tag:bmi,tag:!bmi-ipxe,tag:bmi-efi64,snponly.efi,,10.0.0.9",
      "dhcp-boot=tag:bmi,tag:!bmi-ipxe,tag:!bmi-efi64,undionly.kpxe,,10.0.0.9",
      "dhcp-host=52:54:00:00:00:03,set:bmi",
    ]) assert.ok(lines.includes(l), l);
    assert.equal(renderHints("dnsmasq", [], o).hostsFile, "");
  });

  it("ISC dhcpd: one host block per MAC choosing the file by user class and architecture", () => {
    const h = renderHints("isc", configs, o);
    assert.match(h.content, /^option arch code 93 = unsigned integer 16;$/m);
    assert.equal(h.content.match(/^host "bmi-/gm)?.length, 3);
    assert.match(h.content, /host "bmi-n1-1" \{\n {2}hardware ethernet 52:54:00:00:00:02;\n {2}next-server 10\.0\.0\.9;\n/);
    assert.match(h.content, /if exists user-class and option user-class = "iPXE" \{\n {4}filename "http:\/\/10\.0\.0\.9:8080\/boot\.ipxe";/);
    assert.match(h.content, /\} elsif option arch = 00:07 or option arch = 00:09 \{\n {4}filename "snponly\.efi";\n {2}\} else \{\n {4}filename "undionly\.kpxe";/);
    assert.equal(h.content.split("{").length, h.content.split("}").length);
  });

  it("Kea: reservations plus client classes limited to reserved (KNOWN) clients", () => {
    const dhcp4 = (JSON.parse(renderHints("kea", configs, o).content) as { Dhcp4: Record<string, Array<Record<string, unknown>>> }).Dhcp4;
    assert.deepEqual(dhcp4["reservations"]?.map((r) => r["hw-address"]), ["52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"]);
    const classes = dhcp4["client-classes"] ?? [];
    assert.deepEqual(classes.map((c) => c["boot-file-name"]), ["http://10.0.0.9:8080/boot.ipxe", "snponly.efi", "undionly.kpxe"]);
    for (const c of classes) assert.match(String(c["test"]), /^member\('KNOWN'\) and /);
    assert.match(String(classes[1]?.["test"]), /option\[93\]\.hex == 0x0007 or option\[93\]\.hex == 0x0009/);
  });
});
