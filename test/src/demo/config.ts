import path from "node:path";
import { address, bool, int, loadConfigOrExit, oneOf, str, type ConfigOf } from "@bmi/config";
import { REPO_ROOT } from "@bmi/testing";

/** The demo's settings: every default matches the stack `npm run stack:up` starts on this machine. */
export const demoSpec = {
  orchAddr: address("BMI_DEMO_ORCH_ADDR", { default: "127.0.0.1:50050", help: "orchestrator" }),
  imageAddr: address("BMI_DEMO_IMAGE_ADDR", { default: "127.0.0.1:50051", help: "image-service (golden image upload)" }),
  targetAddr: address("BMI_DEMO_TARGET_ADDR", { default: "127.0.0.1:50052", help: "target-service (portal check)" }),
  bootAddr: address("BMI_DEMO_BOOT_ADDR", { default: "127.0.0.1:50053", help: "boot-service (a node's script)" }),
  ca: str("BMI_DEMO_CA", { default: path.join(REPO_ROOT, ".run", "stack", "pki", "ca.crt"), help: "CA of the stack's certificates (stack:up makes it)" }),
  vmHost: str("BMI_DEMO_VM_HOST", { default: "10.0.2.2", help: "the host as QEMU's user network shows it to VMs" }),
  bootHttpPort: int("BMI_DEMO_BOOT_HTTP_PORT", { default: 8080, min: 1, max: 65535, help: "boot-service's HTTP port" }),
  nodes: int("BMI_DEMO_NODES", { default: 3, min: 2, max: 8, help: "VM nodes" }),
  nodePrefix: str("BMI_DEMO_NODE_PREFIX", { default: "demo", help: "VM nodes are <prefix>-1, <prefix>-2, ..." }),
  backend: oneOf("BMI_DEMO_BACKEND", ["any", "local", "ceph"], {
    default: "any", help: "where image-service must store images for the demo to go on (npm run demo -- --ceph: ceph)",
  }),
  project: str("BMI_DEMO_PROJECT", { default: "demo" }),
  dir: str("BMI_DEMO_DIR", { default: path.join(REPO_ROOT, ".run", "demo"), help: "VM serial logs and sockets" }),
  bootDeadlineMs: int("BMI_DEMO_BOOT_DEADLINE_MS", { default: 120_000, min: 5000, help: "per VM boot" }),
  linux: bool("BMI_DEMO_LINUX", { default: false, help: "also boot one node from BMI's Linux image (npm run demo -- --linux)" }),
};

export type DemoConfig = ConfigOf<typeof demoSpec>;

export function loadDemoConfig(): DemoConfig {
  return loadConfigOrExit("demo", demoSpec);
}
