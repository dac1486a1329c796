import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "@bmi/config";
import { bootSpec, publicUrl, tftpServer } from "./config";

describe("boot-service config", () => {
  it("starts with no configuration at all", () => {
    const cfg = loadConfig(bootSpec, {});
    assert.equal(cfg.listen, "127.0.0.1:50053", "gRPC on loopback unless told otherwise (BMI_AUTH=none is refused elsewhere)");
    assert.equal(cfg.httpListen, "0.0.0.0:8080");
    assert.equal(cfg.tftpListen, "0.0.0.0:69");
    assert.equal(cfg.tftpRoot, "/usr/lib/ipxe");
    assert.match(publicUrl(cfg), /^http:\/\/[\d.]+:8080$/);
    assert.equal(tftpServer(cfg), new URL(publicUrl(cfg)).hostname);
  });

  it("derives the next-server from the public URL unless told", () => {
    const cfg = loadConfig(bootSpec, { BMI_BOOT_PUBLIC_URL: "http://boot.lab:8081/" });
    assert.equal(publicUrl(cfg), "http://boot.lab:8081");
    assert.equal(tftpServer(cfg), "boot.lab");
    assert.equal(tftpServer(loadConfig(bootSpec, { BMI_BOOT_PUBLIC_URL: "http://boot.lab:8081", BMI_BOOT_TFTP_SERVER: "10.1.1.1" })), "10.1.1.1");
    assert.throws(() => loadConfig(bootSpec, { BMI_BOOT_PUBLIC_URL: "ftp://x", BMI_BOOT_EFI_FILE: "grub.efi" }),
      (err: unknown) => (err as { problems: string[] }).problems.length === 2);
  });
});
