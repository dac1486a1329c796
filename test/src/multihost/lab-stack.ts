import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CallOpts, PromiseClient } from "@bmi/grpc";
import { startCeph, type TestCeph } from "@bmi/testing";
import { OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { TargetHostsClient } from "@bmi/proto/bmi/orchestrator/v1/target_hosts";
import { startStack, type Stack, type StackTargetHost } from "../support/stack";
import { createLab, startLabInfra, type Lab, type LabHost, type LabInfra } from "./lab";

/** One target host of the lab: a namespace with its own address, its tgtd and its target-service there. */
export interface LabTargetHost extends StackTargetHost {
  host: LabHost;
}

/** The test stack (support/stack.ts) with its target hosts in the lab's namespaces, and the lab around it. */
export interface LabStack extends Stack {
  lab: Lab;
  ceph: TestCeph;
  infra: LabInfra;
  hosts: LabTargetHost[];
  /** One client per orchestrator, in the order of `orchEnvs`. */
  orchs: Array<PromiseClient<OrchestratorClient>>;
  /** The first orchestrator's TargetHosts service (drain, evacuate, list). */
  admin: PromiseClient<TargetHostsClient>;
  /** What a VM's DHCP hands out: boot-service's generic script at the root namespace's lab address. */
  bootfileUrl: string;
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

/**
 * Several target hosts on real addresses: the lab network (lab.ts) with one namespace per target host, each
 * running its tgtd (portal on its own address) and target-service (BMI_TARGET_HOST_ID h<n>); in the root
 * namespace, listening on its lab address, a single-node Ceph, a private Redis and NATS, one or more image-services
 * (the ceph driver, one pool), and boot-service, haas-gateway (standalone) and the orchestrators: startStack with
 * the lab's topology. Every service speaks mutual TLS with certificates that name the lab's addresses, and every
 * client calls as the lab's admin. `stop()` stops everything, also after a failed start.
 */
export async function startLabStack(opts: LabStackOptions): Promise<LabStack> {
  // The lab's own files (Redis, NATS, the users file); the stack has its directory.
  const dir = await mkdtemp(path.join(tmpdir(), `bmi-${opts.tag}-lab-`));
  let lab: Lab | undefined;
  let ceph: TestCeph | undefined;
  let infra: LabInfra | undefined;
  let stack: Stack | undefined;
  // Every step runs whatever the one before did: a failed test must not leave a process or namespace behind.
  const stop = async () => {
    const steps = [
      async () => stack?.stop(),
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
    // Services on addresses other than loopback refuse BMI_AUTH=none: one admin, whom the test's clients call as.
    const usersFile = path.join(dir, "users.yaml");
    await writeFile(usersFile, ["users:", `  - {name: admin, token: ${ADMIN_TOKEN}, admin: true}`, ""].join("\n"));
    const s = stack = await startStack({
      tag: opts.tag, redisUrl: infra.redisUrl, natsUrl: infra.natsUrl, auth: { usersFile, admin: `Bearer ${ADMIN_TOKEN}` },
      listenAddress: root, targetHosts: hostsOf.map((h, i) => ({ id: `h${i + 1}`, address: h.address, netns: h.netns })),
      ...(opts.ioThreads ? { tgtdIoThreads: opts.ioThreads } : {}), imageServices: opts.imageServices ?? 1,
      imageEnv: { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: ceph.conf, BMI_IMAGE_CEPH_POOL: ceph.pool, BMI_IMAGE_CEPH_USER: ceph.user, ...opts.imageEnv },
      // The orchestrator's own lease (its default), slower retries than the fast stack's.
      orchEnv: { BMI_ORCH_LEASE_MS: "15000", BMI_ORCH_RETRY_BASE_MS: "100", BMI_ORCH_RETRY_MAX_MS: "1000" }, orchEnvs: opts.orchEnvs,
      targetEnv: { BMI_TARGET_HEARTBEAT_MS: "500", ...opts.targetEnv },
    });
    const client = <C>(Ctor: Parameters<Stack["client"]>[0], address: string) => asAdmin(s.client<C>(Ctor, address));
    return {
      ...s, lab, ceph, infra, stop,
      orch: asAdmin(s.orch), image: asAdmin(s.image), target: asAdmin(s.target), boot: asAdmin(s.boot), haas: asAdmin(s.haas),
      hosts: s.hosts.map((h, i) => ({ ...h, host: hostsOf[i]!, target: asAdmin(h.target) })),
      orchs: s.orchestrators.map((o) => client<OrchestratorClient>(OrchestratorClient, o.address)),
      admin: client<TargetHostsClient>(TargetHostsClient, s.orchAddr),
      bootfileUrl: `http://${root}:${s.httpPort}/boot.ipxe`,
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
