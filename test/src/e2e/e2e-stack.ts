import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { connectRedis, deleteKeys } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import {
  freePort, startService, startServiceOnFreePort, startTgtd, testClientTls, uniquePrefix, type RunningService, type TestTgtd, type VmNetwork,
} from "@bmi/testing";
import { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { stopDaemonsUnder } from "./cleanup";
import { VmNode } from "./vm-node";
import { serviceMain } from "../support/services";

export interface E2eStack {
  dir: string;
  tgtd: TestTgtd;
  orch: PromiseClient<OrchestratorClient>;
  image: PromiseClient<ImageServiceClient>;
  target: PromiseClient<TargetServiceClient>;
  boot: PromiseClient<BootServiceClient>;
  haas: PromiseClient<HaasGatewayClient>;
  /** host:port of each service's gRPC server. */
  addresses: Record<"orch" | "image" | "target" | "boot" | "haas", string>;
  /** boot-service's HTTP port (it listens on every address). */
  httpPort: number;
  /** Where a VM's DHCP should send it: boot-service's generic script, at the address VMs reach the host at. */
  bootfileUrl: string;
  /**
   * A VM node: a paused QEMU whose QMP socket is its power control, registered with the orchestrator under `name`
   * (unique per stack: NATS boot events are shared by every stack on this machine) with one NIC, eth0.
   */
  addVm(name: string, mac: string, net?: VmNetwork): Promise<VmNode>;
  /** SIGKILL of the orchestrator, then a new one on the same address and settings (crash tests). */
  restartOrchestrator(): Promise<void>;
  stop(): Promise<void>;
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

const CLIENTS = { orch: OrchestratorClient, image: ImageServiceClient, target: TargetServiceClient, boot: BootServiceClient, haas: HaasGatewayClient };

/**
 * The five real services as processes on free ports with one Redis prefix, a private tgtd listening on every
 * address (VMs reach it as `vmHost`), boot-service's HTTP likewise, and the QEMU VMs the test adds. `stop()`
 * kills the VMs, stops the services, tgtd and any daemon left under the stack's directory, deletes its Redis keys
 * and its files; call it from an after() hook.
 */
export async function startE2eStack(opts: E2eStackOptions): Promise<E2eStack> {
  const dir = await mkdtemp(path.join(tmpdir(), `bmi-e2e-${opts.tag}-`));
  const prefix = uniquePrefix(`e2e-${opts.tag}`);
  const vmHost = opts.vmHost ?? "10.0.2.2";
  // QEMU's user network shows every VM to the host as 127.0.0.1: binding scripts and ACLs to addresses would admit
  // every VM at once (and drop the initiator-name ACL the isolation tests check), so it is off there.
  const bind = String(opts.vmHost !== undefined);
  const services: RunningService[] = [];
  const vms: VmNode[] = [];
  let tgtd: TestTgtd | undefined;
  const base = { BMI_LOG_LEVEL: "info", BMI_REDIS_PREFIX: prefix, BMI_AUTH: "none", BMI_DATA_DIR: path.join(dir, "data") };
  const start = async (service: string, listenVar: string, env: Record<string, string>) => {
    const s = await startServiceOnFreePort({ service, main: serviceMain(service), env: { ...base, ...env } }, listenVar);
    services.push(s);
    return s.address;
  };
  const clients: Partial<{ [K in keyof typeof CLIENTS]: PromiseClient<InstanceType<(typeof CLIENTS)[K]>> }> = {};
  // Every step runs whatever the one before did: a failed test must not leave a process behind.
  const stop = async () => {
    const steps = [
      () => Promise.all(vms.map((vm) => vm.stop())),
      async () => { for (const c of Object.values(clients)) c.close(); },
      // The orchestrator first: nothing new reaches the others while they drain.
      async () => { for (const s of services.splice(0).reverse()) await s.stop(10_000); },
      async () => tgtd?.stop(),
      () => stopDaemonsUnder(dir),
      async () => {
        const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
        await deleteKeys(redis, prefix).finally(() => redis.disconnect());
      },
      () => rm(dir, { recursive: true, force: true }),
    ];
    for (const step of steps) await step().catch((err: unknown) => console.error(`e2e stack ${opts.tag}: cleanup step failed:`, err));
  };
  try {
    const iscsiPort = await freePort();
    tgtd = await startTgtd({ dir, portal: `0.0.0.0:${iscsiPort}` });
    const httpPort = await freePort();
    // image-service and haas-gateway first: target-service asks the one what a disk is, boot-service the other
    // who holds a node.
    const image = await start("image-service", "BMI_IMAGE_LISTEN", {
      BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: path.join(dir, "images"), ...opts.imageEnv,
    });
    const haas = await start("haas-gateway", "BMI_HAAS_LISTEN", { BMI_HAAS_DRIVER: "standalone" });
    const target = await start("target-service", "BMI_TARGET_LISTEN", {
      BMI_TGTD_CONTROL_PORT: String(tgtd.controlPort), BMI_TARGET_PORTALS: tgtd.portal,
      BMI_TARGET_ADVERTISE: `${vmHost}:${iscsiPort}`, BMI_TARGET_IMAGE_ADDR: image, BMI_TARGET_BIND_ADDRESS: bind,
      ...opts.targetEnv,
    });
    const addrs = {
      image, haas, target,
      boot: await start("boot-service", "BMI_BOOT_LISTEN", {
        // The public URL is what its DHCP hints hand out; scripts follow the Host header the VM sent.
        BMI_BOOT_HTTP_LISTEN: `0.0.0.0:${httpPort}`, BMI_BOOT_PUBLIC_URL: `http://${vmHost}:${httpPort}`,
        BMI_BOOT_TFTP_LISTEN: `127.0.0.1:${await freePort()}`, BMI_BOOT_HAAS_ADDR: haas, BMI_BOOT_TARGET_ADDR: target,
        BMI_BOOT_BIND_ADDRESS: bind,
      }),
    };
    const orchEnv = {
      BMI_ORCH_IMAGE_ADDR: addrs.image, BMI_ORCH_TARGET_ADDR: addrs.target, BMI_ORCH_BOOT_ADDR: addrs.boot,
      BMI_ORCH_HAAS_ADDR: addrs.haas, BMI_ORCH_RETRY_BASE_MS: "100", BMI_ORCH_RETRY_MAX_MS: "1000",
    };
    const orch = await start("orchestrator", "BMI_ORCH_LISTEN", orchEnv);
    const client = <K extends keyof typeof CLIENTS>(k: K, address: string) =>
      (clients[k] = createClient(CLIENTS[k] as never, address, { deadlineMs: 60_000, tls: testClientTls() }) as never);
    const stack: E2eStack = {
      dir, tgtd, httpPort, addresses: { ...addrs, orch }, bootfileUrl: `http://${vmHost}:${httpPort}/boot.ipxe`,
      orch: client("orch", orch), image: client("image", addrs.image), target: client("target", addrs.target),
      boot: client("boot", addrs.boot), haas: client("haas", addrs.haas),
      async addVm(name, mac, net) {
        const vm = new VmNode({ dir, name, mac, net: net ?? { kind: "user", bootfile: stack.bootfileUrl } });
        vms.push(vm);
        await vm.arm();
        await stack.orch.registerNode({
          name, nics: [{ label: "eth0", mac, networks: {} }], power: { qemu: { qmpSocket: vm.qmpSocket } },
          metadata: { firmware: "bios" },
        });
        return vm;
      },
      async restartOrchestrator() {
        const i = services.findIndex((x) => x.name === "orchestrator");
        const old = services[i]!;
        await old.kill();
        services[i] = await startService({ service: "orchestrator", main: serviceMain("orchestrator"), address: old.address, env: { ...base, ...orchEnv, BMI_ORCH_LISTEN: old.address } });
      },
      stop,
    };
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}
