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

export interface Stack {
  dir: string;
  /** Redis prefix shared by the five services of this stack. */
  prefix: string;
  redis: Redis;
  tgtd: TestTgtd;
  orch: PromiseClient<OrchestratorClient>;
  orchAddr: string;
  image: PromiseClient<ImageServiceClient>;
  imageAddr: string;
  target: PromiseClient<TargetServiceClient>;
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
}

/**
 * The five real services as child processes on free ports, sharing one Redis prefix, with a private tgtd and the
 * local image driver in a temporary directory: the one launcher of the test workspace's stacks (the e2e stack adds
 * its VMs on top). `stop()` stops every process and removes every key and file, each step also when one before it
 * failed; call it from an after() hook.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const dir = await mkdtemp(path.join(tmpdir(), `bmi-${opts.tag}-`));
  const prefix = uniquePrefix(opts.tag);
  const redis = await connectRedis(opts.redisUrl ?? "redis://127.0.0.1:6379", silentLogger());
  const running: RunningService[] = [];
  const orchestrators: RunningService[] = [];
  let tgtd: TestTgtd | undefined;
  let macSeq = 0;
  const base = { BMI_LOG_LEVEL: opts.logLevel ?? "warn", BMI_REDIS_PREFIX: prefix, BMI_DATA_DIR: path.join(dir, "data"), ...(opts.redisUrl ? { BMI_REDIS_URL: opts.redisUrl } : {}),
    ...(opts.natsUrl ? { BMI_NATS_URL: opts.natsUrl } : {}), ...(opts.otlpEndpoint ? { BMI_OTLP_ENDPOINT: opts.otlpEndpoint } : {}),
    ...(opts.auth ? { BMI_AUTH: "static", BMI_AUTH_FILE: opts.auth.usersFile } : { BMI_AUTH: "none" }) };
  const asAdmin = opts.auth ? { authorization: opts.auth.admin } : {};
  const metrics: Record<string, string> = {};
  const envOf = new Map<RunningService, Record<string, string>>();
  const start = async (service: string, listenVar: string, env: Record<string, string>) => {
    const metricsVar = listenVar.replace(/_LISTEN$/, "_METRICS_LISTEN");
    const s = await startServiceOnFreePort({ service, main: serviceMain(service), env: { ...base, ...env } }, listenVar, opts.metrics ? [metricsVar] : []);
    running.push(s);
    envOf.set(s, { ...base, ...env, ...s.ports, [listenVar]: s.address });
    const at = s.ports?.[metricsVar];
    if (at && !metrics[service]) metrics[service] = `http://${at}/metrics`;
    return s;
  };
  // Every step runs whatever the one before did: a failed test must not leave a process behind.
  const stop = async () => {
    const steps = [
      // The orchestrators first: nothing new reaches the others while they drain.
      () => Promise.allSettled(orchestrators.map((s) => s.stop(5000))),
      () => Promise.allSettled(running.filter((s) => !orchestrators.includes(s)).map((s) => s.stop(10_000))),
      async () => tgtd?.stop(),
      async () => {
        // A tgtd that target-service started after the stack's own one died (crash tests).
        const adopted = tgtd ? findTgtd(tgtd.controlPort) : undefined;
        if (tgtd && adopted) await stopTgtd(tgtd.controlPort, adopted);
      },
      () => stopDaemonsUnder(dir),
      () => deleteKeys(redis, prefix).finally(() => redis.disconnect()),
      () => rm(dir, { recursive: true, force: true }),
    ];
    for (const step of steps) await step().catch((err: unknown) => console.error(`stack ${opts.tag}: cleanup step failed:`, err));
  };
  try {
    const vms = opts.vms;
    const iscsiPort = vms ? await freePort() : 0;
    tgtd = await startTgtd(vms ? { dir, portal: `0.0.0.0:${iscsiPort}` } : { dir });
    // image-service and haas-gateway first: target-service asks the one what a disk is, boot-service the other
    // who holds a node.
    const image = await start("image-service", "BMI_IMAGE_LISTEN", {
      BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: path.join(dir, "images"), ...opts.imageEnv,
    });
    const haas = await start("haas-gateway", "BMI_HAAS_LISTEN", { BMI_HAAS_DRIVER: "standalone", ...opts.haasEnv });
    const target = await start("target-service", "BMI_TARGET_LISTEN", {
      BMI_TGTD_CONTROL_PORT: String(tgtd.controlPort), BMI_TARGET_PORTALS: tgtd.portal, BMI_TARGET_IMAGE_ADDR: image.address,
      ...(vms ? { BMI_TARGET_ADVERTISE: `${vms.host}:${iscsiPort}`, BMI_TARGET_BIND_ADDRESS: String(vms.bindAddresses) } : {}),
      ...opts.targetEnv,
    });
    const httpPort = await freePort();
    const boot = await start("boot-service", "BMI_BOOT_LISTEN", {
      BMI_BOOT_HAAS_ADDR: haas.address, BMI_BOOT_TARGET_ADDR: target.address,
      // The public URL is what its DHCP hints hand out; scripts follow the Host header the node sent.
      ...(vms ? {
        BMI_BOOT_HTTP_LISTEN: `0.0.0.0:${httpPort}`, BMI_BOOT_PUBLIC_URL: `http://${vms.host}:${httpPort}`,
        BMI_BOOT_TFTP_LISTEN: `127.0.0.1:${await freePort()}`, BMI_BOOT_BIND_ADDRESS: String(vms.bindAddresses),
      } : {
        BMI_BOOT_HTTP_LISTEN: `127.0.0.1:${httpPort}`, BMI_BOOT_PUBLIC_URL: `http://127.0.0.1:${httpPort}`, BMI_BOOT_TFTP: "false",
      }),
    });
    const orchEnv = {
      BMI_ORCH_IMAGE_ADDR: image.address, BMI_ORCH_TARGET_ADDR: target.address, BMI_ORCH_BOOT_ADDR: boot.address,
      BMI_ORCH_HAAS_ADDR: haas.address, BMI_ORCH_LEASE_MS: "2000", BMI_ORCH_RETRY_BASE_MS: "50", BMI_ORCH_RETRY_MAX_MS: "500",
      ...opts.orchEnv,
    };
    const addOrchestrator = async (env: Record<string, string> = {}) => {
      const s = await start("orchestrator", "BMI_ORCH_LISTEN", { ...orchEnv, ...env });
      orchestrators.push(s);
      return s;
    };
    const first = await addOrchestrator();
    const clientTls = testClientTls();
    const client = <C>(Ctor: Parameters<typeof createClient>[0], address: string) =>
      createClient(Ctor, address, { deadlineMs: 60_000, tls: clientTls }) as unknown as PromiseClient<C>;
    const orch = client<OrchestratorClient>(OrchestratorClient, first.address);
    const stack: Stack = {
      dir, prefix, redis, tgtd, orch, orchAddr: first.address, imageAddr: image.address,
      image: client<ImageServiceClient>(ImageServiceClient, image.address),
      target: client<TargetServiceClient>(TargetServiceClient, target.address),
      boot: client<BootServiceClient>(BootServiceClient, boot.address), bootHttp: `http://127.0.0.1:${httpPort}`, httpPort,
      haas: client<HaasGatewayClient>(HaasGatewayClient, haas.address),
      addresses: { orch: first.address, image: image.address, target: target.address, boot: boot.address, haas: haas.address },
      orchestrators, addOrchestrator, processes: running, clientTls, metrics,
      async restart(old) {
        const env = envOf.get(old);
        if (!env) throw new Error(`${old.name} is not a service of this stack`);
        await old.kill();
        const next = await startService({ service: old.name, main: serviceMain(old.name), address: old.address, env });
        envOf.set(next, env);
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
      async stop() {
        for (const c of [stack.orch, stack.image, stack.target, stack.boot, stack.haas]) c.close();
        await stop();
      },
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
