import { InvalidArgumentError, UnavailableError } from "@bmi/errors";
import { ALL_AUDIT, auditProjectSubject, readAuditRecords } from "@bmi/events";
import { visibleProjects, type Handlers } from "@bmi/grpc";
import { validateName } from "@bmi/validate";
import { ListAuditRecordsResponse, type OrchestratorService } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { NatsConnection } from "nats";

export interface AuditSource {
  /** The JetStream stream every service records to (BMI_AUDIT_STREAM). */
  stream: string;
  /** NATS, once connected; throws while it is not. */
  connection(): Promise<NatsConnection>;
}

const DAY_MS = 24 * 3600_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * ListAuditRecords: the audit stream, read for the caller. Members read their projects' subjects and get only
 * records of those projects (subjects share a token between '.' and '_', so the record's own project decides);
 * admins read everything, calls that named no project included.
 */
export function auditHandlers(source: AuditSource): Pick<Handlers<typeof OrchestratorService>, "listAuditRecords"> {
  return {
    async listAuditRecords(req, ctx) {
      if (req.project) validateName("project", req.project);
      if (req.limit > MAX_LIMIT) throw new InvalidArgumentError(`limit ${req.limit} is over ${MAX_LIMIT}`);
      const projects = visibleProjects(ctx.caller, req.project);
      if (projects?.length === 0) return ListAuditRecordsResponse.fromPartial({});
      const until = checkTime("until", req.until) ?? new Date(Date.now() + 1000);
      const since = checkTime("since", req.since) ?? new Date(until.getTime() - DAY_MS);
      const nc = await source.connection().catch((err: unknown) => {
        throw new UnavailableError("the audit trail is unavailable: NATS is not connected", { cause: err });
      });
      const page = await readAuditRecords(nc, {
        stream: source.stream, subjects: projects ? projects.map(auditProjectSubject) : [ALL_AUDIT],
        since, until, limit: req.limit || DEFAULT_LIMIT, readUntil: ctx.deadline - 1000,
        match: (r) => (!projects || projects.includes(r.project)) && (!req.user || r.user === req.user) &&
          (!req.resource || r.resources.includes(req.resource)),
      }).catch((err: unknown) => {
        // No service has recorded anything yet: the stream does not exist.
        if (/stream not found/i.test(String((err as Error).message))) return { records: [], truncated: false };
        throw new UnavailableError(`the audit trail is unavailable: ${(err as Error).message}`, { cause: err });
      });
      return ListAuditRecordsResponse.fromPartial(page);
    },
  };
}

// The stream keeps records for months at most; a time outside these years is a mistake, not a query.
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

function checkTime(name: string, t: Date | undefined): Date | undefined {
  if (t === undefined) return undefined;
  const ms = t.getTime();
  if (!(ms >= EARLIEST && ms < LATEST)) throw new InvalidArgumentError(`${name} must be a time between 1970 and 2200`);
  return t;
}
