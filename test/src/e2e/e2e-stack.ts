import type { VmNetwork } from "@bmi/testing";
import { startStack, type Stack } from "../support/stack";
import { VmNode } from "./vm-node";

/** The test stack (support/stack.ts) as VMs see it, and the QEMU VMs a test adds. */
export interface E2eStack extends Stack {
  /** Where a VM's DHCP should send it: boot-service's generic script, at the address VMs reach the host at. */
  bootfileUrl: string;
  /**
   * A VM node: a paused QEMU whose QMP socket is its power control, registered with the orchestrator under `name`
   * (unique per stack: NATS boot events are shared by every stack on this machine) with one NIC, eth0.
   */
  addVm(name: string, mac: string, net?: VmNetwork): Promise<VmNode>;
  /** SIGKILL of the orchestrator, then a new one on the same address and settings (crash tests). */
  restartOrchestrator(): Promise<void>;
}

export interface E2eStackOptions {
  tag: string;
  /** The host as VMs see it: 10.0.2.2 under QEMU's user network (default), the veth address for a netns. */
  vmHost?: string;
  /** image-service environment on top of the local driver in the stack's directory (the ceph driver's settings). */
  imageEnv?: Record<string, string>;
  /** target-service environment on top of the stack's (e.g. BMI_TARGET_MUTUAL_CHAP). */
  targetEnv?: Record<string, string>;
}

/**
 * The five real services (startStack) with tgtd and boot-service's HTTP listening on every address (VMs reach them
 * as `vmHost`), and the QEMU VMs the test adds. `stop()` kills the VMs, then stops the stack; call it from an
 * after() hook.
 */
export async function startE2eStack(opts: E2eStackOptions): Promise<E2eStack> {
  const vmHost = opts.vmHost ?? "10.0.2.2";
  const s = await startStack({
    tag: `e2e-${opts.tag}`, logLevel: "info",
    // QEMU's user network shows every VM to the host as 127.0.0.1: binding scripts and ACLs to addresses would admit
    // every VM at once (and drop the initiator-name ACL the isolation tests check), so it is off there.
    vms: { host: vmHost, bindAddresses: opts.vmHost !== undefined },
    // The orchestrator's own lease (VMs boot for minutes under TCG) and slower retries than the fast stack's.
    orchEnv: { BMI_ORCH_LEASE_MS: "15000", BMI_ORCH_RETRY_BASE_MS: "100", BMI_ORCH_RETRY_MAX_MS: "1000" },
    ...(opts.imageEnv ? { imageEnv: opts.imageEnv } : {}),
    ...(opts.targetEnv ? { targetEnv: opts.targetEnv } : {}),
  });
  const vms: VmNode[] = [];
  const stack: E2eStack = {
    ...s,
    bootfileUrl: `http://${vmHost}:${s.httpPort}/boot.ipxe`,
    async addVm(name, mac, net) {
      const vm = new VmNode({ dir: s.dir, name, mac, net: net ?? { kind: "user", bootfile: stack.bootfileUrl } });
      vms.push(vm);
      await vm.arm();
      await s.orch.registerNode({
        name, nics: [{ label: "eth0", mac, networks: {} }], power: { qemu: { qmpSocket: vm.qmpSocket } },
        metadata: { firmware: "bios" },
      });
      return vm;
    },
    async restartOrchestrator() {
      await s.restart(s.orchestrators[0]!);
    },
    async stop() {
      await Promise.all(vms.map((vm) => vm.stop())).catch((err: unknown) => console.error(`e2e stack ${opts.tag}: stopping VMs failed:`, err));
      await s.stop();
    },
  };
  return stack;
}
