import { TargetHost } from "@bmi/proto/bmi/orchestrator/v1/target_hosts";
import { validateName } from "@bmi/validate";
import { arg, type Command, type Ctx } from "../context";
import { when } from "../output";

const row = (h: TargetHost) => ({ host: h.id, address: h.address, portals: h.portals.join(","), targets: `${h.targets}/${h.capacity}`,
  state: !h.alive ? "dead" : !h.healthy ? "unhealthy" : h.draining ? "draining" : "ok", heartbeat: when(h.heartbeat) });
const COLUMNS = ["host", "address", "portals", "targets", "state", "heartbeat"];

async function drain(ctx: Ctx, host: string, undrain: boolean): Promise<void> {
  const res = await ctx.hosts.drainTargetHost({ host: validateName("target host", host), undrain }, ctx.call);
  if (ctx.out.json) return ctx.out.data(TargetHost.toJSON(res.host!));
  ctx.out.table([row(res.host!)], COLUMNS);
}

/** Target hosts (one target-service and its tgtd each) and the limits every orchestrator shares: admins. */
export const targetHostCommands: Command[] = [
  {
    name: "target-host ls", args: "", summary: "target hosts: portals, targets placed of capacity, health, draining (admins)",
    example: "bmi target-host ls --json",
    async run(ctx) {
      const { hosts } = await ctx.hosts.listTargetHosts({}, ctx.call);
      ctx.out.list(hosts, TargetHost.toJSON, row, COLUMNS);
    },
  },
  {
    name: "target-host drain", args: "HOST", summary: "no new targets on HOST; its targets stay (admins)", example: "bmi target-host drain tgt2",
    run: (ctx, p) => drain(ctx, arg(p, 0, "HOST"), false),
  },
  {
    name: "target-host undrain", args: "HOST", summary: "new targets may go to HOST again (admins)", example: "bmi target-host undrain tgt2",
    run: (ctx, p) => drain(ctx, arg(p, 0, "HOST"), true),
  },
  {
    name: "target-host evacuate", args: "HOST", example: "bmi target-host evacuate tgt2",
    summary: "drain HOST and move its Ceph-backed targets to other hosts; their nodes boot from there next time (admins)",
    async run(ctx, p) {
      const host = validateName("target host", arg(p, 0, "HOST"));
      const res = await ctx.hosts.evacuateTargetHost({ host }, ctx.call);
      if (ctx.out.json) return ctx.out.data({ moved: res.moved, left: res.left });
      ctx.out.table([...res.moved.map((m) => ({ project: m.project, disk: m.disk, node: m.node || "-", result: `moved to ${m.hosts.join(",")}` })),
        ...res.left.map((l) => ({ project: l.project, disk: l.disk, node: "-", result: `left: ${l.reason}` }))], ["project", "disk", "node", "result"]);
    },
  },
  {
    name: "limits", args: "", example: "bmi limits --json",
    summary: "each bottleneck's limit as every orchestrator holds it in Redis: holders and waiters (admins)",
    async run(ctx) {
      const { limits } = await ctx.hosts.listLimits({}, ctx.call);
      if (ctx.out.json) return ctx.out.data(limits.map((l) => ({ bottleneck: l.bottleneck, limit: l.limit, waiters: l.waiters,
        holders: l.holders.map((h) => ({ instance: h.instance, job: h.job, step: h.step, expires: h.expires?.toISOString() })) })));
      ctx.out.table(limits.map((l) => ({ bottleneck: l.bottleneck, limit: l.limit, held: l.holders.length, waiters: l.waiters,
        instances: [...new Set(l.holders.map((h) => h.instance))].join(",") })), ["bottleneck", "limit", "held", "waiters", "instances"]);
    },
  },
];
