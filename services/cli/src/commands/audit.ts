import { AuditRecord } from "@bmi/proto/bmi/events/v1/events";
import { flag, num, opt, type Command } from "../context";
import { UsageError } from "../exit-codes";
import { when } from "../output";

const SPANS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** "30m", "2h", "7d" before now, or an ISO 8601 time. */
export function parseTime(flag: string, text: string | undefined, now = Date.now()): Date | undefined {
  if (text === undefined) return undefined;
  const span = /^(\d+)([smhd])$/.exec(text);
  const t = span ? new Date(now - Number(span[1]) * SPANS[span[2]!]!) : new Date(text);
  if (!/^\d/.test(text) || Number.isNaN(t.getTime())) throw new UsageError(`--${flag} ${text}: a span like 30m, 2h, 7d or an ISO time`);
  return t;
}

function who(r: AuditRecord): string {
  const user = r.user || "-";
  return r.callerService ? `${user} via ${r.callerService}` : user;
}

/** The audit trail: every mutating call of every service, accepted or refused. */
export const auditCommands: Command[] = [
  {
    name: "audit ls", example: "bmi audit ls --since 2h --user alice --resource n1", args: "[--all] [--user U] [--since 2h|TIME] [--until TIME] [--resource NAME] [--limit N]",
    summary: "mutating calls of the project (--all: every project, admins), most recent last",
    options: { all: flag("every project's records (admins)"), user: opt("U", "only U's calls"),
      since: opt("2h|TIME", "from a duration ago (30m, 2h, 7d) or an ISO time"),
      until: opt("TIME", "up to an ISO time or a duration ago"),
      resource: opt("NAME", "only calls that named NAME (a node, image, disk, ...)"),
      limit: opt("N", "at most N records, 1 to 1000") },
    async run(ctx, _p, v) {
      const since = parseTime("since", v.since as string | undefined);
      const until = parseTime("until", v.until as string | undefined);
      const project = v.all === true ? "" : ctx.project();
      if (v.limit !== undefined && (num(v, "limit") < 1 || num(v, "limit") > 1000)) throw new UsageError(`--limit ${String(v.limit)}: 1 to 1000`);
      const res = await ctx.orch.listAuditRecords({
        project, user: (v.user as string) ?? "", resource: (v.resource as string) ?? "", limit: num(v, "limit"), since, until,
      }, ctx.call);
      if (ctx.out.json) return ctx.out.data({ records: res.records.map((r) => AuditRecord.toJSON(r)), truncated: res.truncated });
      ctx.out.table(res.records.map((r) => ({
        time: when(r.time), service: r.service, method: r.method.split("/").pop(), user: who(r), project: r.project,
        resources: r.resources.join(","), code: r.code,
      })), ["time", "service", "method", "user", "project", "resources", "code"]);
      if (res.truncated) process.stderr.write("note: more records matched; narrow with --since, --user or --resource, or raise --limit\n");
    },
  },
];
