import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, type CallOpts, type PromiseClient } from "@bmi/grpc";
import { connectRedis, type Redis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import {
  findTgtd, freePort, startCeph, startService, startServiceOnFreePort, startTgtd, stopTgtd, testClientTls, uniquePrefix,
  type RunningService, type TestCeph, type TestTgtd,
} from "@bmi/testing";
import { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { TargetHostsClient } from "@bmi/proto/bmi/orchestrator/v1/target_hosts";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { serviceMain } from "../support/services";
import { createLab, startLabInfra, type Lab, type LabHost, type LabInfra } from "./lab";

/** One target host of the lab: a namespace with its own address, its tgtd and its target-service there. */
export interface LabTargetHost {
  id: string;
  host: LabHost;
  /** host:port of its iSCSI portal (the namespace's address). */
  portal: string;
  tgtd: TestTgtd;
  service: RunningService;
  target: PromiseClient<TargetServiceClient>;
  /** The host dies: SIGKILL of target-service and of tgtd (its portal refuses connections from then on). */
  kill(): Promise<void>;
}

export interface LabStack {
  dir: string;
  lab: Lab;
  ceph: TestCeph;
  infra: LabInfra;
  prefix: string;
  redis: Redis;
  hosts: LabTargetHost[];
  /** One client per orchestrator, in the order of `orchEnvs`. */
  orchs: Array<PromiseClient<OrchestratorClient>>;
  /** The first orchestrator's TargetHosts service (drain, evacuate, list). */
  admin: PromiseClient<TargetHostsClient>;
  image: PromiseClient<ImageServiceClient>;
  boot: PromiseClient<BootServiceClient>;
  haas: PromiseClient<HaasGatewayClient>;
  /** What a VM's DHCP hands out: boot-service's generic script at the root namespace's lab address. */
  bootfileUrl: string;
  /** Every service process (benches read their CPU time). */
  processes: RunningService[];
  stop(): Promise<void>;
}

export interface LabStackOptions {
  tag: string;
  /** Target hosts, at <subnet>.11, .12, ...; ids h1, h2, ... */
  hosts: number;
  /** One orchestrator per entry, each with this environment on top of the stack's. */
  orchEnvs: Array<Record<string, string>>;
  /** target-service environment on top of the stack's (every host). */
  targetEnv?: Record<string, string>;
  /** image-service environment on top of the ceph driver's. */
  imageEnv?: Record<string, string>;
  /**
   * image-service instances on the one pool (default 1); orchestrator i and target host i use instance i mod n, and
   * `image` is the first.
   */
  imageServices?: number;
  /** tgtd -t of every host's tgtd (default testing's 2). */
  ioThreads?: number;
}

const ADMIN_TOKEN = "lab-admin-token";
const ISCSI_PORT = 3260;
const TARGET_PORT = 50052;

/**
 * Several target hosts on real addresses: the lab network (lab.ts) with one namespace per target host, each
 * running its tgtd (portal on its own address) and target-service (BMI_TARGET_HOST_ID h<n>); in the root
 * namespace, listening on its lab address, a single-node Ceph, a private Redis and NATS, one or more image-services
 * (the ceph driver, one pool), and boot-service, haas-gateway (standalone) and the orchestrators. Every service speaks mutual TLS
 * with certificates that name the lab's addresses. `stop()` stops everything, also after a failed start.
 */
export async function startLabStack(opts: LabStackOptions): Promise<LabStack> {
  const dir = await mkdtemp(path.join(tmpdir(), `bmi-${opts.tag}-`));
  const prefix = uniquePrefix(opts.tag);
  const running: RunningService[] = [];
  const tgtds: TestTgtd[] = [];
  const closers: Array<{ close(): void }> = [];
  let lab: Lab | undefined;
  let ceph: TestCeph | undefined;
  let infra: LabInfra | undefined;
  let redis: Redis | undefined;
  // Every step runs whatever the one before did: a failed test must not leave a process or namespace behind.
  const stop = async () => {
    const steps = [
      async () => { for (const c of closers.splice(0)) c.close(); },
      async () => { for (const s of running.splice(0).reverse()) await s.stop(10_000); },
      async () => { for (const t of tgtds.splice(0)) await t.stop(); },
      async () => redis?.disconnect(),
      async () => infra?.stop(),
      async () => ceph?.stop(),
      async () => lab?.destroy(),
      () => rm(dir, { recursive: true, force: true }),
    ];
    for (const step of steps) await step().catch((err: unknown) => console.error(`lab stack ${opts.tag}: cleanup step failed:`, err));
  };
  try {
    lab = await createLab();
    const root = lab.rootAddress;
    const hostsOf = await Promise.all(Array.from({ length: opts.hosts }, (_, i) => lab!.addHost(11 + i)));
    // The test CA's certificates name the lab's addresses: orchestrators reach target-services at theirs, these
    // image-service at the root's. Set before this process makes its PKI (testPki() runs once per process).
    process.env.BMI_PKI_SANS = [root, ...hostsOf.map((h) => h.address)].map((a) => `IP:${a}`).join(",");
    ceph = await startCeph({ addr: root });
    infra = await startLabInfra(dir, root);
    redis = await connectRedis(infra.redisUrl, silentLogger());
    // Services on addresses other than loopback refuse BMI_AUTH=none: one admin, whom the test's clients call as.
    const usersFile = path.join(dir, "users.yaml");
    await writeFile(usersFile, ["users:", `  - {name: admin, token: ${ADMIN_TOKEN}, admin: true}`, ""].join("\n"));
    const base = { BMI_LOG_LEVEL: "warn", BMI_REDIS_PREFIX: prefix, BMI_REDIS_URL: infra.redisUrl, BMI_NATS_URL: infra.natsUrl,
      BMI_AUTH: "static", BMI_AUTH_FILE: usersFile };
    const tls = testClientTls();
    const client = <C>(Ctor: Parameters<typeof createClient>[0], address: string) => {
      const c = createClient(Ctor, address, { deadlineMs: 60_000, tls }) as unknown as PromiseClient<C>;
      closers.push(c);
      return asAdmin(c);
    };
    const startAt = async (service: string, address: string, env: Record<string, string>, netns?: string) => {
      const s = await startService({ service, main: serviceMain(service), address, env: { ...base, ...env }, ...(netns ? { netns } : {}) });
      running.push(s);
      return s;
    };
    const onFreePort = async (service: string, listenVar: string, env: Record<string, string>) => {
      const s = await startServiceOnFreePort({ service, main: serviceMain(service), env: { ...base, ...env } }, listenVar);
      running.push(s);
      return s;
    };
    const images: RunningService[] = [];
    for (let i = 0; i < (opts.imageServices ?? 1); i++) {
      const imageAddr = `${root}:${await freePort()}`;
      images.push(await startAt("image-service", imageAddr, { BMI_IMAGE_LISTEN: imageAddr, BMI_IMAGE_DRIVER: "ceph",
        BMI_IMAGE_DATA_DIR: path.join(dir, `images-${i}`), BMI_IMAGE_CEPH_CONF: ceph.conf, BMI_IMAGE_CEPH_POOL: ceph.pool,
        BMI_IMAGE_CEPH_USER: ceph.user, ...opts.imageEnv }));
    }
    const imageOf = (i: number) => images[i % images.length]!.address;
    const haas = await onFreePort("haas-gateway", "BMI_HAAS_LISTEN", { BMI_HAAS_DRIVER: "standalone" });
    const hosts: LabTargetHost[] = [];
    for (const [i, host] of hostsOf.entries()) {
      const id = `h${i + 1}`;
      const portal = `${host.address}:${ISCSI_PORT}`;
      const tgtd = await startTgtd({ dir, portal, netns: host.netns, ...(opts.ioThreads ? { ioThreads: opts.ioThreads } : {}) });
      tgtds.push(tgtd);
      const address = `${host.address}:${TARGET_PORT}`;
      const service = await startAt("target-service", address, {
        BMI_TARGET_LISTEN: address, BMI_TARGET_HOST_ID: id, BMI_TGTD_CONTROL_PORT: String(tgtd.controlPort),
        BMI_TARGET_PORTALS: portal, BMI_TARGET_IMAGE_ADDR: imageOf(i), BMI_TARGET_HEARTBEAT_MS: "500", ...opts.targetEnv,
      }, host.netns);
      const kill = async () => {
        await service.kill();
        process.kill(tgtd.pid, "SIGKILL");
        // The reconciler of a target-service that is gone no longer starts one; stop() finds nothing left to stop.
        const again = findTgtd(tgtd.controlPort);
        if (again) await stopTgtd(tgtd.controlPort, again);
      };
      hosts.push({ id, host, portal, tgtd, service, kill, target: client<TargetServiceClient>(TargetServiceClient, address) });
    }
    const httpPort = await freePort();
    const boot = await onFreePort("boot-service", "BMI_BOOT_LISTEN", {
      BMI_BOOT_HTTP_LISTEN: `${root}:${httpPort}`, BMI_BOOT_PUBLIC_URL: `http://${root}:${httpPort}`, BMI_BOOT_TFTP: "false",
      BMI_BOOT_HAAS_ADDR: haas.address, BMI_BOOT_TARGET_ADDR: hosts[0]!.service.address,
    });
    const orchs: Array<PromiseClient<OrchestratorClient>> = [];
    let admin: PromiseClient<TargetHostsClient> | undefined;
    for (const [i, env] of opts.orchEnvs.entries()) {
      const o = await onFreePort("orchestrator", "BMI_ORCH_LISTEN", {
        BMI_ORCH_IMAGE_ADDR: imageOf(i), BMI_ORCH_TARGET_ADDR: hosts[0]!.service.address, BMI_ORCH_BOOT_ADDR: boot.address,
        BMI_ORCH_HAAS_ADDR: haas.address, BMI_ORCH_RETRY_BASE_MS: "100", BMI_ORCH_RETRY_MAX_MS: "1000", ...env,
      });
      orchs.push(client<OrchestratorClient>(OrchestratorClient, o.address));
      admin ??= client<TargetHostsClient>(TargetHostsClient, o.address);
    }
    return {
      dir, lab, ceph, infra, prefix, redis, hosts, orchs, admin: admin!, processes: running, stop,
      image: client<ImageServiceClient>(ImageServiceClient, imageOf(0)),
      boot: client<BootServiceClient>(BootServiceClient, boot.address),
      haas: client<HaasGatewayClient>(HaasGatewayClient, haas.address),
      bootfileUrl: `http://${root}:${httpPort}/boot.ipxe`,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The client with the lab's admin token on every call (and in metadata(), for streaming calls through raw). */
function asAdmin<C>(c: PromiseClient<C>): PromiseClient<C> {
  const authorization = `Bearer ${ADMIN_TOKEN}`;
  return new Proxy(c, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function" || prop === "close" || prop === "callOptions") return v;
      if (prop === "metadata") return (opts?: CallOpts) => target.metadata({ authorization, ...opts });
      return (req: unknown, opts?: CallOpts) => (v as (r: unknown, o: CallOpts) => unknown).call(target, req, { authorization, ...opts });
    },
  });
}
