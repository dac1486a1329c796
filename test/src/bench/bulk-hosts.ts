import { readFileSync } from "node:fs";
import type { Stack } from "../support/stack";
import { startLabStack } from "../multihost/lab-stack";

/** What the bulk bench drives: the one-host test stack, or several target hosts in network namespaces. */
export interface BenchStack extends Pick<Stack, "orch" | "image" | "haas" | "boot" | "target" | "redis" | "prefix" | "processes" | "registerNodes" | "stop"> {
  /** The NATS the stack's services publish on (the bench follows node events there). */
  natsUrl: string;
  /** With several target hosts: each host's target-service (the floor spreads its targets over them) and processes. */
  targetHosts?: BenchTargetHost[];
}

export interface BenchTargetHost {
  id: string;
  target: Stack["target"];
  tgtdPid: number;
  servicePid: number;
}

/**
 * `hosts` target hosts on addresses of their own (multihost/lab-stack.ts: a namespace, tgtd and target-service
 * each; Ceph, Redis, NATS, image-service, boot-service, haas-gateway and one orchestrator in the root namespace).
 */
export async function startHostsStack(hosts: number, orchEnv: Record<string, string>, ioThreads?: number): Promise<BenchStack> {
  const lab = await startLabStack({ tag: "bench-hosts", hosts, orchEnvs: [orchEnv], ...(ioThreads ? { ioThreads } : {}) });
  return {
    ...lab, natsUrl: lab.infra.natsUrl,
    targetHosts: lab.hosts.map((h) => ({ id: h.id, target: h.target, tgtdPid: h.tgtd.pid, servicePid: h.service.pid })),
  };
}

/** One line per target host: tgtd's threads and RSS, target-service's RSS (from /proc, now). */
export function hostFigures(hosts: BenchTargetHost[]): string[] {
  return hosts.map((h) => {
    const t = procStatus(h.tgtdPid);
    const svc = procStatus(h.servicePid);
    return `${h.id}: tgtd ${t.threads} threads, ${mib(t.rssKiB)} MiB RSS; target-service ${svc.threads} threads, ${mib(svc.rssKiB)} MiB RSS`;
  });
}

function procStatus(pid: number): { threads: number; rssKiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0), rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) };
  } catch {
    return { threads: 0, rssKiB: 0 };
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1);
