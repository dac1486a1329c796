import type { BootConfig } from "./boot-config";

/** The files of a NoCloud seed (cloud-init's datasource; BMI's Linux image reads the same). */
export const NOCLOUD_FILES = ["meta-data", "user-data", "vendor-data", "network-config"] as const;
export type NocloudFile = (typeof NOCLOUD_FILES)[number];

/**
 * One file of a node's NoCloud seed, as boot-service serves it at /nodes/<mac>/nocloud/<file> (to the address the
 * node's script is bound to only: http-server.ts). meta-data names the instance (the target's IQN: a fresh disk is
 * a new instance, so cloud-init runs its per-instance modules again), the host name (the node's name unless one was
 * set) and the project; network-config asks for DHCP on the NIC that booted. Values are JSON strings, which YAML
 * reads as double-quoted scalars: nothing a name holds can start a new key.
 */
export function nocloudFile(config: BootConfig, mac: string, file: NocloudFile): string {
  const q = (s: string) => JSON.stringify(s);
  switch (file) {
    case "meta-data":
      return [`instance-id: ${q(config.target.iqn)}`, `local-hostname: ${q(config.metadata?.hostname || config.node)}`,
        `node: ${q(config.node)}`, `project: ${q(config.project)}`, ""].join("\n");
    case "user-data":
      return config.metadata?.userData ?? "";
    case "vendor-data":
      return "";
    case "network-config":
      return ["version: 2", "ethernets:", "  boot:", "    match:", `      macaddress: ${q(mac)}`, "    dhcp4: true", ""].join("\n");
  }
}
