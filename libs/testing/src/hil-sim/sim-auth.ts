import type { IncomingHttpHeaders } from "node:http";
import { faults, type SimState } from "./sim-state";

/** Who HIL believes is calling. */
export interface Principal { user: string; admin: boolean; projects: Set<string> }

/**
 * HIL's `database` back end (HTTP Basic) and `keystone` back end (X-Auth-Token), both at once: an unknown user
 * is 404, a wrong password or token 401, no credentials 401.
 */
export function authenticate(state: SimState, headers: IncomingHttpHeaders): Principal {
  const token = headers["x-auth-token"];
  if (typeof token === "string" && token !== "") {
    const user = state.tokens.get(token);
    const found = user === undefined ? undefined : state.users.get(user);
    if (user === undefined || !found) throw faults.authorization("Invalid token");
    return { user, admin: found.admin, projects: found.projects };
  }
  const m = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? "");
  if (!m?.[1]) throw faults.authorization("Authentication required");
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const i = text.indexOf(":");
  const name = i < 0 ? text : text.slice(0, i);
  const user = state.users.get(name);
  if (!user) throw faults.notFound(`User "${name}" does not exist.`);
  if (i < 0 || user.password !== text.slice(i + 1)) throw faults.authorization("Invalid username/password");
  return { user: name, admin: user.admin, projects: user.projects };
}

export function requireAdmin(p: Principal): void {
  if (!p.admin) throw faults.authorization("This operation is administrator-only.");
}

/** HIL's require_project_access: admins pass; a free node (null project) needs an admin. */
export function requireProject(p: Principal, project: string | null): void {
  if (p.admin) return;
  if (project === null || !p.projects.has(project)) {
    throw faults.authorization("You do not have access to the required project.");
  }
}
