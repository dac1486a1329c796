import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createClient } from "@bmi/grpc";
import { BootServiceClient, DhcpFormat } from "@bmi/proto/bmi/boot/v1/boot";
import { testClientTls } from "@bmi/testing";
import { Firmware } from "@bmi/proto/bmi/common/v1/common";
import { BootServiceFixture } from "./testkit/vm-fixture";

const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:pw-${user}`).toString("base64")}` });
// The fixture's client has the orchestrator's certificate: it calls for the user it names, as the orchestrator does.
const forUser = (user: string, projects: string[]) => ({ onBehalfOf: { user, projects, admin: false } });
const alice = forUser("alice", ["proj1"]);
const bob = forUser("bob", ["proj2"]);
const admin = basic("admin");

describe("boot-service over gRPC, with per-project authorization", () => {
  const f = new BootServiceFixture();
  const config = (node: string, project: string, macs: string[]) => ({
    config: {
      node, project, macs, initiatorIqn: `iqn.2026-01.org.example:${node}`, firmware: Firmware.FIRMWARE_UEFI, efiLoader: "", updated: undefined,
      target: { iqn: `iqn.2026-01.org.example.bmi:${project}.${node}`, portals: ["10.0.0.1:3260"], lun: 1 },
      chap: { user: `bmi-${node}`, secret: "0123456789abcdef-_" }, reverseChap: undefined, binding: undefined,
    },
  });

  before(async () => {
    const users = path.join(f.dir, "users.yaml");
    writeFileSync(users, ["users:", "  - {name: alice, password: pw-alice, projects: [proj1]}",
      "  - {name: bob, password: pw-bob, projects: [proj2]}", "  - {name: admin, password: pw-admin, admin: true}", ""].join("\n"));
    await f.start(() => ({ BMI_AUTH: "static", BMI_AUTH_FILE: users, BMI_BOOT_PUBLIC_URL: "http://10.9.9.9:8080" }));
    await f.node("a1", "proj1", ["52:54:00:aa:00:01"]);
    await f.node("b1", "proj2", ["52:54:00:bb:00:01"]);
    await f.haas.registerNode({ name: "free1", nics: [{ label: "eth0", mac: "52:54:00:cc:00:01", networks: {} }], power: undefined, metadata: {} });
  });
  after(() => f.close());

  it("sets and gets a node's config; only the owner's project may see or change it", async () => {
    const set = await f.client.setBootConfig(config("a1", "proj1", ["52:54:00:aa:00:01"]), alice);
    assert.equal(set.config?.chap?.secret, "0123456789abcdef-_");
    assert.equal(set.config?.efiLoader, "\\EFI\\BOOT\\BOOTX64.EFI");
    assert.equal((await f.client.getBootConfig({ node: "a1" }, alice)).config?.firmware, Firmware.FIRMWARE_UEFI);
    await assert.rejects(f.client.getBootConfig({ node: "a1" }, bob), { code: "NOT_FOUND" });
    await assert.rejects(f.client.setBootConfig(config("a1", "proj2", ["52:54:00:bb:00:01"]), bob), { code: "NOT_FOUND" });
    await assert.rejects(f.client.setBootConfig(config("b1", "proj2", ["52:54:00:aa:00:01"]), bob), { code: "INVALID_ARGUMENT" });
    await assert.rejects(f.client.setBootConfig(config("b1", "proj2", ["nope"]), bob), { code: "INVALID_ARGUMENT" });
    await assert.rejects(f.client.getBootConfig({ node: "a1" }), { code: "NOT_FOUND" }); // the orchestrator for nobody
    await assert.rejects(f.client.getBootConfig({ node: "zz" }, admin), { code: "NOT_FOUND" });
  });

  it("arms a node's script for its own project only; the config shows where the script is bound", async () => {
    const fetched = await fetch(`http://127.0.0.1:${f.httpPort}/nodes/52-54-00-aa-00-01.ipxe`);
    assert.equal(fetched.status, 200);
    assert.equal((await f.client.getBootConfig({ node: "a1" }, alice)).config?.binding?.address, "127.0.0.1");
    const armed = await f.client.armBootConfig({ node: "a1" }, alice);
    assert.equal(armed.binding?.address, "");
    assert.ok(armed.binding?.armed instanceof Date);
    await assert.rejects(f.client.armBootConfig({ node: "a1" }, bob), { code: "NOT_FOUND" });
    await assert.rejects(f.client.armBootConfig({ node: "zz" }, alice), { code: "NOT_FOUND" });
  });

  it("lists by project without secrets", async () => {
    await f.client.setBootConfig(config("b1", "proj2", ["52:54:00:bb:00:01"]), bob);
    assert.deepEqual((await f.client.listBootConfigs({ project: "" }, bob)).configs.map((c) => c.node), ["b1"]);
    const all = (await f.client.listBootConfigs({ project: "" }, admin)).configs;
    assert.deepEqual(all.map((c) => [c.node, c.chap?.secret]), [["a1", ""], ["b1", ""]]);
    await assert.rejects(f.client.listBootConfigs({ project: "proj1" }, bob), { code: "NOT_FOUND" });
  });

  it("renders the script with the secret masked, and DHCP hints in all three formats", async () => {
    const script = (await f.client.renderScript({ node: "a1", mac: "" }, alice)).script;
    assert.match(script, /^set password \*{8}$/m);
    assert.match(script, /\/nodes\/52-54-00-aa-00-01\/phase\/attempted/);
    await assert.rejects(f.client.renderScript({ node: "a1", mac: "52:54:00:bb:00:01" }, alice), { code: "INVALID_ARGUMENT" });
    const dnsmasq = await f.client.renderDhcpHints({ format: DhcpFormat.DHCP_FORMAT_DNSMASQ, project: "" }, admin);
    assert.equal(dnsmasq.hostsFile, "52:54:00:aa:00:01,set:bmi\n52:54:00:bb:00:01,set:bmi\n");
    assert.match(dnsmasq.content, /dhcp-boot=tag:bmi,tag:bmi-ipxe,http:\/\/10\.9\.9\.9:8080\/boot\.ipxe/);
    assert.match(dnsmasq.content, /undionly\.kpxe,,10\.9\.9\.9/);
    const isc = await f.client.renderDhcpHints({ format: DhcpFormat.DHCP_FORMAT_ISC, project: "proj2" }, bob);
    assert.match(isc.content, /host "bmi-b1-0"/);
    assert.doesNotMatch(isc.content, /a1/);
    const kea = await f.client.renderDhcpHints({ format: DhcpFormat.DHCP_FORMAT_KEA, project: "" }, admin);
    assert.equal((JSON.parse(kea.content) as { Dhcp4: { reservations: unknown[] } }).Dhcp4.reservations.length, 2);
  });

  it("clears a config once", async () => {
    await assert.rejects(f.client.clearBootConfig({ node: "a1" }, bob), { code: "NOT_FOUND" });
    assert.equal((await f.client.clearBootConfig({ node: "a1" }, alice)).cleared, true);
    assert.equal((await f.client.clearBootConfig({ node: "a1" }, alice)).cleared, false);
    assert.equal((await fetch(`http://127.0.0.1:${f.httpPort}/nodes/52-54-00-aa-00-01.ipxe`)).status, 404);
  });

  it("binds a node only to the project that holds it in haas-gateway, and only its own MACs", async () => {
    // Another project's node, under the caller's own project name.
    await assert.rejects(f.client.setBootConfig(config("a1", "proj2", ["52:54:00:aa:00:01"]), bob), { code: "NOT_FOUND" });
    // A free node, and a node that does not exist.
    await assert.rejects(f.client.setBootConfig(config("free1", "proj2", ["52:54:00:cc:00:01"]), bob), { code: "NOT_FOUND" });
    await assert.rejects(f.client.setBootConfig(config("ghost", "proj2", ["52:54:00:dd:00:01"]), bob), { code: "NOT_FOUND" });
    // Its own node, with a free node's MAC beside its own.
    await assert.rejects(f.client.setBootConfig(config("b1", "proj2", ["52:54:00:bb:00:01", "52:54:00:cc:00:01"]), bob),
      { code: "INVALID_ARGUMENT", message: /52:54:00:cc:00:01/ });
    assert.equal((await fetch(`http://127.0.0.1:${f.httpPort}/nodes/52-54-00-cc-00-01.ipxe`)).status, 404);
  });

  it("is internal: a member calling it directly, or anyone without BMI's certificate speaking for a user, is refused", async () => {
    const direct = createClient(BootServiceClient, f.svc.address, { deadlineMs: 10_000, tls: testClientTls() });
    try {
      await assert.rejects(direct.getBootConfig({ node: "b1" }, basic("bob")), { code: "PERMISSION_DENIED", message: /internal/ });
      await assert.rejects(direct.setBootConfig(config("b1", "proj2", ["52:54:00:bb:00:01"]), basic("bob")), { code: "PERMISSION_DENIED" });
      await assert.rejects(direct.getBootConfig({ node: "b1" }, bob), { code: "UNAUTHENTICATED" });
    } finally {
      direct.close();
    }
  });
});
