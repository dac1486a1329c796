// Mirrors the audit subjects documented in proto/bmi/events/v1/events.proto: change both together.
import { token } from "./subjects";

/** The audit trail's stream: its own, apart from BMI_EVENTS ("bmi.>"), with its own limits. */
export const AUDIT_STREAM = "BMI_AUDIT";
export const AUDIT_SUBJECTS = ["bmi-audit.>"];
export const ALL_AUDIT = "bmi-audit.>";

// Validated project names only; '_' for none (or a name no project can have: a refused call's hostile value).
const PROJECT = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** AuditRecord of one call of `service` naming `project`. */
export function auditSubject(project: string, service: string): string {
  return `bmi-audit.${PROJECT.test(project) ? token(project) : "_"}.${token(service) || "_"}`;
}

/** Every record naming `project` ('.' and '_' share a token: readers compare the record's project too). */
export function auditProjectSubject(project: string): string {
  return `bmi-audit.${PROJECT.test(project) ? token(project) : "_"}.*`;
}
