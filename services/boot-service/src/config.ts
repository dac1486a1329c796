import { networkInterfaces } from "node:os";
import { address, bool, chassisSpec, int, loadServiceConfig, oneOf, str, url, type ConfigOf } from "@bmi/config";

/** boot-service settings (BMI_* environment variables); every one has a default that works on one host. */
export const bootSpec = {
  ...chassisSpec("BMI_BOOT", "127.0.0.1:50053"),
  haasAddr: address("BMI_BOOT_HAAS_ADDR", { default: "127.0.0.1:50054", help: "haas-gateway, which says who holds a node" }),
  targetAddr: address("BMI_BOOT_TARGET_ADDR", { default: "127.0.0.1:50052", help: "target-service, whose ACLs follow the address a script is bound to" }),
  bindAddress: bool("BMI_BOOT_BIND_ADDRESS", {
    default: true, help: "a node's script goes only to the address that first fetched it after arming; false where the boot network rewrites addresses",
  }),
  armTtlS: int("BMI_BOOT_ARM_TTL_S", {
    default: 3600, min: 0,
    help: "seconds an armed script waits for its node's first fetch; later fetches are refused until it is armed again (ArmBootConfig, the orchestrator's power step); 0: no limit",
  }),
  httpListen: address("BMI_BOOT_HTTP_LISTEN", { default: "0.0.0.0:8080", help: "host:port of the iPXE script server" }),
  publicUrl: url("BMI_BOOT_PUBLIC_URL", ["http"], { default: "", help: "http://host:port nodes reach the script server at; default: this host's first IPv4 and the HTTP port" }),
  tftp: bool("BMI_BOOT_TFTP", { default: true, help: "serve iPXE builds over TFTP in-process" }),
  tftpListen: address("BMI_BOOT_TFTP_LISTEN", { default: "0.0.0.0:69", help: "host:port of the TFTP server (with BMI_BOOT_TFTP)" }),
  tftpRoot: str("BMI_BOOT_TFTP_ROOT", { default: "/usr/lib/ipxe", help: "directory of undionly.kpxe, ipxe.efi, snponly.efi" }),
  tftpServer: str("BMI_BOOT_TFTP_SERVER", { default: "", help: "next-server address in DHCP hints; default: the public URL's host" }),
  biosFile: str("BMI_BOOT_BIOS_FILE", { default: "undionly.kpxe", help: "iPXE build for BIOS PXE ROMs" }),
  efiFile: oneOf("BMI_BOOT_EFI_FILE", ["snponly.efi", "ipxe.efi"], { default: "snponly.efi", help: "iPXE build for x86-64 UEFI" }),
  sanAttempts: int("BMI_BOOT_SAN_ATTEMPTS", { default: 3, min: 1, max: 100, help: "sanboot attempts before exiting to the firmware" }),
  sanRetryDelayS: int("BMI_BOOT_SAN_RETRY_DELAY_S", { default: 5, min: 0, max: 3600, help: "seconds between sanboot attempts" }),
  dnsmasqHostsFile: str("BMI_BOOT_DNSMASQ_HOSTS_FILE", { default: "", help: "managed dnsmasq: dhcp-hostsfile to keep in step; empty: none" }),
  eventsPerSecond: int("BMI_BOOT_EVENTS_PER_SECOND", { default: 5, min: 1, help: "boot events one node address may cause per second" }),
  eventBurst: int("BMI_BOOT_EVENT_BURST", { default: 20, min: 1, help: "boot events one node address may cause in a burst" }),
  dnsmasqPidFile: str("BMI_BOOT_DNSMASQ_PID_FILE", { default: "", help: "managed dnsmasq: its pid-file, signalled with SIGHUP" }),
};

export type BootServiceConfig = ConfigOf<typeof bootSpec>;

/** Start-up: the settings from the environment, checked; exits 2 listing every problem. */
export function loadBootConfig(): BootServiceConfig {
  return loadServiceConfig("boot-service", bootSpec);
}

/** The base URL nodes use: BMI_BOOT_PUBLIC_URL, or this host's first non-loopback IPv4 with the HTTP port. */
export function publicUrl(cfg: BootServiceConfig): string {
  if (cfg.publicUrl) return cfg.publicUrl.replace(/\/+$/, "");
  const [host, port] = [cfg.httpListen.slice(0, cfg.httpListen.lastIndexOf(":")), cfg.httpListen.slice(cfg.httpListen.lastIndexOf(":") + 1)];
  const ipv4 = Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
  return `http://${host !== "0.0.0.0" ? host : (ipv4 ?? "127.0.0.1")}:${port}`;
}

/** The next-server address in DHCP hints. */
export function tftpServer(cfg: BootServiceConfig): string {
  return cfg.tftpServer || new URL(publicUrl(cfg)).hostname;
}
