import { NotFoundError, PermissionDeniedError } from "@bmi/errors";
import type { Caller } from "./auth";

/** What the policy needs of a caller (haas-gateway's read-only view fits). */
type Who = Pick<Caller, "user" | "admin" | "service"> & { projects: readonly string[] };

/**
 * BMI's one access policy. Every service declares, per RPC, who may call it at all (an AccessTable, checked by the
 * server before the handler runs); handlers then check that the resources a request names belong to the caller,
 * with the functions below.
 *
 *  - "member": any authenticated caller; the handler checks project membership of every resource it touches.
 *  - "admin":  admins only (directly, or forwarded by a BMI service).
 *  - { services }: internal to BMI: only these service identities (from their client certificates; the
 *    orchestrator forwards the end user's identity with each call) or an admin.
 */
export type Access = "member" | "admin" | { readonly services: readonly string[] };

/** Mutations the orchestrator drives on a user's behalf; nobody else but an admin calls them. */
export const INTERNAL: Access = { services: ["orchestrator"] };

/** Who may call each RPC of a service; the compiler insists on a row per method. */
export type AccessTable<D> = { readonly [K in keyof D]: Access };

/** Throws PERMISSION_DENIED when the caller may not call the method at all. */
export function checkAccess(access: Access, caller: Who, method: string): void {
  if (access === "member" || caller.admin) return;
  const name = method.split("/").pop() ?? method;
  if (access === "admin") throw new PermissionDeniedError(`${name} needs an admin; ${who(caller)} is not one`);
  if (caller.service !== undefined && access.services.includes(caller.service)) return;
  throw new PermissionDeniedError(`${name} is internal to BMI: only ${access.services.join(", ")} or an admin may call it`);
}

export function isMember(caller: Who, project: string): boolean {
  return caller.admin || caller.projects.includes(project);
}

/**
 * "Not yours" is NOT_FOUND, never PERMISSION_DENIED: a tenant learns nothing about other projects, not even that a
 * node, disk or project of that name exists. `what` names the resource as the caller asked for it.
 */
export function assertMember(caller: Who, project: string, what = `project ${project}`): void {
  if (!isMember(caller, project)) throw new NotFoundError(`${what} not found`);
}

/** Throws PERMISSION_DENIED unless the caller is an admin (the operation itself is not secret). */
export function assertAdmin(caller: Who, action: string): void {
  if (!caller.admin) throw new PermissionDeniedError(`${action} needs an admin; ${who(caller)} is not one`);
}

/** The projects a listing may show: the one asked for (when the caller is in it), or all the caller's; admins: all. */
export function visibleProjects(caller: Who, project: string): string[] | undefined {
  if (project) {
    assertMember(caller, project);
    return [project];
  }
  return caller.admin ? undefined : [...caller.projects];
}

function who(caller: Who): string {
  return caller.service && caller.user === "" ? `service ${caller.service}` : `user ${caller.user}`;
}
