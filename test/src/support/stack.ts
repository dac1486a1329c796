import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { eachLimit } from "@bmi/async";
import { connectRedis, deleteKeys, type Redis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import {
  findTgtd, freePort, startService, startServiceOnFreePort, startTgtd, stopTgtd, testClientTls, uniquePrefix, type RunningService,
  type TestTgtd,
} from "@bmi/testing";
import { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import { HaasGatewayClient, type PowerSpec } from "@bmi/proto/bmi/haas/v1/haas";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { stopDaemonsUnder } from "./cleanup";
import { serviceMain } from "./services";

/** One target host of a stack: its tgtd and the target-service in front of it. */
export interface StackTargetHost {
  /** Its BMI_TARGET_HOST_ID ("" for the one host of the default stack, which sets none). */
  id: string;
  /** host:port of its iSCSI portal. */
  portal: string;
  tgtd: TestTgtd;
  service: RunningService;
  target: PromiseClient<TargetServiceClient>;
  /** The host dies: SIGKILL of target-service and of tgtd (its portal refuses connections from then on). */
  kill(): Promise<void>;
}

export interface Stack {
  dir: string;
  /** Redis prefix shared by the five services of this stack. */
  prefix: string;
  redis: Redis;
  /** The first target host's tgtd. */
  tgtd: TestTgtd;
  orch: PromiseClient<OrchestratorClient>;
  orchAddr: string;
  image: PromiseClient<ImageServiceClient>;
  imageAddr: string;
  /** The first target host's target-service. */
  target: PromiseClient<TargetServiceClient>;
  /** Every target host, in the order of the option `targetHosts` (one by default). */
  hosts: StackTargetHost[];
  boot: PromiseClient<BootServiceClient>;
  /** http://host:port of boot-service's script server (what nodes fetch). */
  bootHttp: string;
  /** boot-service's HTTP port (with `vms`, it listens on every address). */
  httpPort: number;
  /** host:port of each service's gRPC server (the first orchestrator's). */
  addresses: Record<"orch" | "image" | "target" | "boot" | "haas", string>;
  haas: PromiseClient<HaasGatewayClient>;
  orchestrators: RunningService[];
  /** With `metrics`: each service's Prometheus endpoint (http://host:port/metrics), by service name. */
  metrics: Record<string, string>;
  /** Every service process of the stack (benches read their CPU time). */
  processes: RunningService[];
  /** TLS settings of the stack's own clients (the test CA; no certificate: callers are who their header says). */
  clientTls: { ca: string; cert?: string; key?: string };
  /** A client of one of the stack's services (the stack's TLS, a 60 s deadline), closed by stop(). */
  client<C>(Ctor: Parameters<typeof createClient>[0], address: string): PromiseClient<C>;
  /** Starts one more orchestrator on the same Redis/NATS (its own port); the first one backs `orch`. */
  addOrchestrator(env?: Record<string, string>): Promise<RunningService>;
  /** SIGKILL of one of the stack's services (by process), then the same service again on the same address (crash tests). */
  restart(service: RunningService): Promise<RunningService>;
  /** Registers nodes with one NIC each (eth0, MACs 52:54:00:00:00:01 upwards in order), through the orchestrator. */
  registerNodes(names: string[], power?: (name: string) => PowerSpec | undefined): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  tag: string;
  /** Extra environment of every orchestrator (BMI_ORCH_FAULTS, lease, retries). */
  orchEnv?: Record<string, string>;
  /** image-service environment; the local driver in the stack's directory by default (the ceph driver for benches). */
  imageEnv?: Record<string, string>;
  /** haas-gateway environment on top of the standalone driver (the hil driver's settings). */
  haasEnv?: Record<string, string>;
  /** Every service authenticates with BMI_AUTH=static and this users file; the harness calls as `admin`. */
  auth?: { usersFile: string; admin: string };
  /** Every service serves metrics on a port of its own (BMI_<SVC>_METRICS_LISTEN); see Stack.metrics. */
  metrics?: boolean;
  /** Every service exports its spans to this OTLP/HTTP URL (BMI_OTLP_ENDPOINT). */
  otlpEndpoint?: string;
  /** Redis and NATS of the stack's own (chaos tests restart them); default the shared ones on 6379 and 4222. */
  redisUrl?: string;
  natsUrl?: string;
  /** target-service environment on top of the stack's (its reconcile interval). */
  targetEnv?: Record<string, string>;
  /** The services' BMI_LOG_LEVEL (default warn). */
  logLevel?: string;
  /**
   * Machines other than this process boot from the stack (QEMU VMs, e2e-stack.ts): tgtd's portal and boot-service's
   * HTTP listen on every address, target-service advertises and boot-service hands out `host` (the host as they
   * see it), boot-service serves TFTP, and both bind scripts and ACLs to addresses only if `bindAddresses`.
   */
  vms?: { host: string; bindAddresses: boolean };
  /**
   * The address image-service and boot-service's HTTP listen on (default 127.0.0.1): with `targetHosts`, one the
   * hosts' namespaces reach (the lab's root address, multihost/lab-stack.ts).
   */
  listenAddress?: string;
  /**
   * Target hosts of their own, each a network namespace with its own address: its tgtd's portal on address:3260 and
   * its target-service on address:50052 there, with BMI_TARGET_HOST_ID `id`. Default: one host, this one (a
   * private tgtd, target-service on a free loopback port).
   */
  targetHosts?: Array<{ id: string; address: string; netns: string }>;
  /** tgtd -t of every tgtd (default testing's 2). */
  tgtdIoThreads?: number;
  /**
   * image-service instances on the one store (default 1; several need the ceph driver): orchestrator i and target
   * host i ask instance i mod n, and `image` is the first.
   */
  imageServices?: number;
  /** One orchestrator per entry at the start (default one), each with this environment on top of `orchEnv`. */
  orchEnvs?: Array<Record<string, string>>;
}

const ISCSI_PORT = 3260;
const TARGET_PORT = 50052;

/**
 * The five real services as child processes on free ports, sharing one Redis prefix, with a private tgtd and the
 * local image driver in a temporary directory: the one launcher of the test workspace's stacks (the e2e stack adds
 * its VMs on top, the multi-host lab its namespaces, Ceph and infrastructure around `targetHosts`). `stop()` stops every process and removes every key and file, each step also when one before it
 * failed; call it from an after() hook.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const dir = await mkdtemp(path.join(tmpdir(), `bmi-${opts.tag}-`));
  const prefix = uniquePrefix(opts.tag);
  const redis = await connectRedis(opts.redisUrl ?? "redis://127.0.0.1:6379", silentLogger());
  const running: RunningService[] = [];
  const orchestrators: RunningService[] = [];
  const tgtds: TestTgtd[] = [];
  const clients: Array<{ close(): void }> = [];
  let macSeq = 0;
  const base = { BMI_LOG_LEVEL: opts.logLevel ?? "warn", BMI_REDIS_PREFIX: prefix, BMI_DATA_DIR: path.join(dir, "data"), ...(opts.redisUrl ? { BMI_REDIS_URL: opts.redisUrl } : {}),
    ...(opts.natsUrl ? { BMI_NATS_URL: opts.natsUrl } : {}), ...(opts.otlpEndpoint ? { BMI_OTLP_ENDPOINT: opts.otlpEndpoint } : {}),
    ...(opts.auth ? { BMI_AUTH: "static", BMI_AUTH_FILE: opts.auth.usersFile } : { BMI_AUTH: "none" }) };
  const asAdmin = opts.auth ? { authorization: opts.auth.admin } : {};
  const metrics: Record<string, string> = {};
  const envOf = new Map<RunningService, { env: Record<string, string>; netns?: string }>();
  /** On a free loopback port, or at `at` (an address of its own, in a namespace): no metrics port there. */
  const start = async (service: string, listenVar: string, env: Record<string, string>, at?: { address: string; netns?: string }) => {
    const metricsVar = listenVar.replace(/_LISTEN$/, "_METRICS_LISTEN");
    const main = serviceMain(service);
    const s = at
      ? await startService({ service, main, address: at.address, env: { ...base, ...env, [listenVar]: at.address }, ...(at.netns ? { netns: at.netns } : {}) })
      : await startServiceOnFreePort({ service, main, env: { ...base, ...env } }, listenVar, opts.metrics ? [metricsVar] : []);
    running.push(s);
    envOf.set(s, { env: { ...base, ...env, ...s.ports, [listenVar]: s.address }, ...(at?.netns ? { netns: at.netns } : {}) });
    const metricsAt = s.ports?.[metricsVar];
    if (metricsAt && !metrics[service]) metrics[service] = `http://${metricsAt}/metrics`;
    return s;
  };
  // Every step runs whatever the one before did: a failed test must not leave a process behind.
  const stop = async () => {
    const steps = [
      async () => { for (const c of clients.splice(0)) c.close(); },
      // The orchestrators first: nothing new reaches the others while they drain.
      () => Promise.allSettled(orchestrators.map((s) => s.stop(5000))),
      () => Promise.allSettled(running.filter((s) => !orchestrators.includes(s)).map((s) => s.stop(10_000))),
      async () => {
        for (const t of tgtds) await t.stop().catch((err: unknown) => console.error(`stack ${opts.tag}: stopping tgtd ${t.controlPort} failed:`, err));
      },
      async () => {
        // A tgtd that target-service started after the stack's own one died (crash tests).
        for (const t of tgtds) {
          const adopted = findTgtd(t.controlPort);
          if (adopted) await stopTgtd(t.controlPort, adopted);
        }
      },
      () => stopDaemonsUnder(dir),
      () => deleteKeys(redis, prefix).finally(() => redis.disconnect()),
      () => rm(dir, { recursive: true, force: true }),
    ];
    for (const step of steps) await step().catch((err: unknown) => console.error(`stack ${opts.tag}: cleanup step failed:`, err));
  };
  try {
    const vms = opts.vms;
    const listen = opts.listenAddress ?? "127.0.0.1";
    const clientTls = testClientTls();
    const client = <C>(Ctor: Parameters<typeof createClient>[0], address: string) => {
      const c = createClient(Ctor, address, { deadlineMs: 60_000, tls: clientTls }) as unknown as PromiseClient<C>;
      clients.push(c);
      return c;
    };
    const ioThreads = opts.tgtdIoThreads ? { ioThreads: opts.tgtdIoThreads } : {};
    // image-service and haas-gateway first: target-service asks the one what a disk is, boot-service the other
    // who holds a node.
    const images: RunningService[] = [];
    for (let i = 0; i < (opts.imageServices ?? 1); i++) {
      const env = { BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: path.join(dir, i === 0 ? "images" : `images-${i}`), ...opts.imageEnv };
      images.push(await start("image-service", "BMI_IMAGE_LISTEN", env, opts.listenAddress ? { address: `${listen}:${await freePort()}` } : undefined));
    }
    const imageOf = (i: number) => images[i % images.length]!.address;
    const image = images[0]!;
    const haas = await start("haas-gateway", "BMI_HAAS_LISTEN", { BMI_HAAS_DRIVER: "standalone", ...opts.haasEnv });
    const targetHosts: StackTargetHost[] = [];
    const addTargetHost = async (i: number, id: string, tgtd: TestTgtd, env: Record<string, string>, at?: { address: string; netns: string }) => {
      const service = await start("target-service", "BMI_TARGET_LISTEN", {
        ...env, BMI_TGTD_CONTROL_PORT: String(tgtd.controlPort), BMI_TARGET_PORTALS: tgtd.portal, BMI_TARGET_IMAGE_ADDR: imageOf(i), ...opts.targetEnv,
      }, at);
      const kill = async () => {
        await service.kill();
        process.kill(tgtd.pid, "SIGKILL");
        // The reconciler of a target-service that is gone no longer starts one; stop() finds nothing left to stop.
        const again = findTgtd(tgtd.controlPort);
        if (again) await stopTgtd(tgtd.controlPort, again);
      };
      targetHosts.push({ id, portal: tgtd.portal, tgtd, service, kill, target: client<TargetServiceClient>(TargetServiceClient, service.address) });
    };
    if (opts.targetHosts) {
      for (const [i, h] of opts.targetHosts.entries()) {
        const tgtd = await startTgtd({ dir, portal: `${h.address}:${ISCSI_PORT}`, netns: h.netns, ...ioThreads });
        tgtds.push(tgtd);
        await addTargetHost(i, h.id, tgtd, { BMI_TARGET_HOST_ID: h.id }, { address: `${h.address}:${TARGET_PORT}`, netns: h.netns });
      }
    } else {
      const iscsiPort = vms ? await freePort() : 0;
      const tgtd = await startTgtd({ dir, ...(vms ? { portal: `0.0.0.0:${iscsiPort}` } : {}), ...ioThreads });
      tgtds.push(tgtd);
      await addTargetHost(0, "", tgtd, vms ? { BMI_TARGET_ADVERTISE: `${vms.host}:${iscsiPort}`, BMI_TARGET_BIND_ADDRESS: String(vms.bindAddresses) } : {});
    }
    const target = targetHosts[0]!.service;
    const httpPort = await freePort();
    const boot = await start("boot-service", "BMI_BOOT_LISTEN", {
      BMI_BOOT_HAAS_ADDR: haas.address, BMI_BOOT_TARGET_ADDR: target.address,
      // The public URL is what its DHCP hints hand out; scripts follow the Host header the node sent.
      ...(vms ? {
        BMI_BOOT_HTTP_LISTEN: `0.0.0.0:${httpPort}`, BMI_BOOT_PUBLIC_URL: `http://${vms.host}:${httpPort}`,
        BMI_BOOT_TFTP_LISTEN: `127.0.0.1:${await freePort()}`, BMI_BOOT_BIND_ADDRESS: String(vms.bindAddresses),
      } : {
        BMI_BOOT_HTTP_LISTEN: `${listen}:${httpPort}`, BMI_BOOT_PUBLIC_URL: `http://${listen}:${httpPort}`, BMI_BOOT_TFTP: "false",
      }),
    });
    const orchEnv = {
      BMI_ORCH_TARGET_ADDR: target.address, BMI_ORCH_BOOT_ADDR: boot.address,
      BMI_ORCH_HAAS_ADDR: haas.address, BMI_ORCH_LEASE_MS: "2000", BMI_ORCH_RETRY_BASE_MS: "50", BMI_ORCH_RETRY_MAX_MS: "500",
      ...opts.orchEnv,
    };
    const addOrchestrator = async (env: Record<string, string> = {}) => {
      const s = await start("orchestrator", "BMI_ORCH_LISTEN", { BMI_ORCH_IMAGE_ADDR: imageOf(orchestrators.length), ...orchEnv, ...env });
      orchestrators.push(s);
      return s;
    };
    for (const env of opts.orchEnvs ?? [{}]) await addOrchestrator(env);
    const first = orchestrators[0]!;
    const orch = client<OrchestratorClient>(OrchestratorClient, first.address);
    const stack: Stack = {
      dir, prefix, redis, tgtd: targetHosts[0]!.tgtd, orch, orchAddr: first.address, imageAddr: image.address,
      image: client<ImageServiceClient>(ImageServiceClient, image.address),
      target: targetHosts[0]!.target, hosts: targetHosts,
      boot: client<BootServiceClient>(BootServiceClient, boot.address), bootHttp: `http://${listen}:${httpPort}`, httpPort,
      haas: client<HaasGatewayClient>(HaasGatewayClient, haas.address),
      addresses: { orch: first.address, image: image.address, target: target.address, boot: boot.address, haas: haas.address },
      orchestrators, addOrchestrator, processes: running, clientTls, metrics, client,
      async restart(old) {
        const was = envOf.get(old);
        if (!was) throw new Error(`${old.name} is not a service of this stack`);
        await old.kill();
        const next = await startService({ service: old.name, main: serviceMain(old.name), address: old.address, env: was.env, ...(was.netns ? { netns: was.netns } : {}) });
        envOf.set(next, was);
        running.splice(running.indexOf(old), 1, next);
        const o = orchestrators.indexOf(old);
        if (o >= 0) orchestrators.splice(o, 1, next);
        return next;
      },
      async registerNodes(names, power = () => undefined) {
        // 16 at a time: a bench registers a thousand nodes.
        const items = names.map((name) => ({ name, n: ++macSeq }));
        await eachLimit(items, 16, async (item) => {
          const mac = `52:54:00:${hex(item.n >> 16)}:${hex(item.n >> 8)}:${hex(item.n)}`;
          await orch.registerNode({ name: item.name, nics: [{ label: "eth0", mac, networks: {} }], power: power(item.name), metadata: {} }, asAdmin);
        });
      },
      stop,
    };
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}

const hex = (n: number) => (n & 0xff).toString(16).padStart(2, "0");

/** A small raw image file (a recognisable first sector), for ImportImage with the local driver. */
export async function goldenImage(dir: string, sizeMiB = 4): Promise<string> {
  const file = path.join(dir, "golden.raw");
  const buf = Buffer.alloc(sizeMiB * 1024 * 1024);
  buf.write("BMI-GOLDEN-IMAGE", 0);
  await writeFile(file, buf);
  return file;
}

/** The polling helper, here for the tests that use this stack. */
export { until } from "@bmi/async";
