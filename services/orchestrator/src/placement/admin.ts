import type { AccessTable, BmiServer, CallOpts, Handlers, PromiseClient } from "@bmi/grpc";
import type { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import {
  DrainTargetHostResponse, EvacuateTargetHostResponse, ListLimitsResponse, ListTargetHostsResponse, TargetHostsService,
  type EvacuatedTarget, type LeftTarget, type TargetHost,
} from "@bmi/proto/bmi/orchestrator/v1/target_hosts";
import { CreateTargetRequest } from "@bmi/proto/bmi/target/v1/target";
import type { JobQueries } from "../engine/queries";
import type { TargetHostState } from "./hosts";
import type { PlacedTargets } from "./routed";

/** Hosts, placements and limits are the site's: admins only. */
export const TARGET_HOSTS_ACCESS: AccessTable<typeof TargetHostsService> = {
  listTargetHosts: "admin", drainTargetHost: "admin", evacuateTargetHost: "admin", listLimits: "admin",
};

/** Serves bmi.orchestrator.v1.TargetHosts beside the Orchestrator service. */
export function addTargetHosts(server: BmiServer, targets: PlacedTargets, boot: PromiseClient<BootServiceClient>, queries: JobQueries): void {
  server.add(TargetHostsService, targetHostHandlers(targets, boot, queries), TARGET_HOSTS_ACCESS);
}

function targetHostHandlers(targets: PlacedTargets, boot: PromiseClient<BootServiceClient>, queries: JobQueries): Handlers<typeof TargetHostsService> {
  const { registry, placements } = targets;
  const toPb = (h: TargetHostState, load: Map<string, number>): TargetHost => ({
    id: h.id, address: h.address, portals: h.portals, capacity: h.capacity, targets: Math.max(0, load.get(h.id) ?? 0),
    healthy: h.healthy, alive: h.alive, draining: h.draining, heartbeat: new Date(h.heartbeatMs),
  });
  return {
    async listTargetHosts() {
      const [hosts, load] = await Promise.all([registry.list(), placements.loads()]);
      return ListTargetHostsResponse.fromPartial({ hosts: hosts.map((h) => toPb(h, load)) });
    },
    async drainTargetHost(req) {
      const host = await registry.setDraining(req.host, !req.undrain);
      return DrainTargetHostResponse.fromPartial({ host: toPb(host, await placements.loads()) });
    },
    async evacuateTargetHost(req, ctx) {
      await registry.setDraining(req.host, true);
      const call: CallOpts = { ctx };
      const moved: EvacuatedTarget[] = [];
      const left: LeftTarget[] = [];
      const nodes = new Map((await queries.provisionedAll()).map((r) => [`${r.project}/${r.disk}`, r.node]));
      for (const [key, p] of await placements.all()) {
        if (!p.hosts.includes(req.host)) continue;
        const [project, disk] = key.split("/") as [string, string];
        const node = nodes.get(key) ?? "";
        const stay = (reason: string) => left.push({ project, disk, reason });
        if (node && await queries.lockHolder(node)) {
          stay(`a job is running on node ${node}: evacuate again when it ends`);
          continue;
        }
        const { target } = await targets.get({ project, disk }, call);
        if (!target?.backing?.rbd) {
          stay("file-backed: the file is on that host");
          continue;
        }
        const rest = p.hosts.filter((h) => h !== req.host);
        let hosts: string[];
        try {
          const more = await placements.choose(project, true, [req.host, ...rest]);
          hosts = [...rest, ...more.slice(0, p.hosts.length - rest.length).map((h) => h.id)];
        } catch (err) {
          if (rest.length === 0) {
            stay(String(err instanceof Error ? err.message : err));
            continue;
          }
          hosts = rest;
        }
        const made = await targets.create(CreateTargetRequest.fromPartial({ project, disk, initiatorIqn: target.initiatorIqn }), call, { hosts });
        if (node) {
          // The node boots from the new host next time: its script gets the new portals and secrets (and is armed).
          const { config } = await boot.getBootConfig({ node }, call);
          if (config) {
            await boot.setBootConfig({ config: { ...config, target: made.target?.target, chap: made.target?.chap,
              reverseChap: made.target?.reverseChap } }, call);
          }
        }
        moved.push({ project, disk, node, hosts });
      }
      return EvacuateTargetHostResponse.fromPartial({ moved, left });
    },
    async listLimits() {
      const view = await targets.limits();
      return ListLimitsResponse.fromPartial({ limits: view.map((l) => ({ bottleneck: l.bottleneck, limit: l.limit, waiters: l.waiters,
        holders: l.holders.map((h) => ({ instance: h.instance, job: h.job, step: h.step, expires: new Date(h.expiresMs) })) })) });
    },
  };
}
