import { readFileSync } from "node:fs";
import { timingSafeEqual } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";
import { parse as parseYaml } from "yaml";
import { PermissionDeniedError, UnauthenticatedError } from "@bmi/errors";

/** Who is calling, as established by the Authenticator. */
export interface Caller {
  user: string;
  projects: string[];
  admin: boolean;
}

/** Pluggable check of the `authorization` metadata: answers the caller or throws UNAUTHENTICATED. */
export type Authenticator = (metadata: Metadata) => Promise<Caller>;

/** Every caller is an admin of every project. For a single-operator lab only. */
export function noneAuth(): Authenticator {
  const anyone: Caller = { user: "anonymous", projects: [], admin: true };
  return async (md) => {
    const basic = parseBasic(header(md));
    return basic ? { ...anyone, user: basic.user } : anyone;
  };
}

interface StaticUser { name: string; password?: string; token?: string; projects?: string[]; admin?: boolean }

/**
 * Users from a JSON or YAML file: `users: [{name, password | token, projects: [...], admin}]`.
 * Accepts "Basic base64(user:password)" and "Bearer <token>".
 */
export function staticAuth(file: string): Authenticator {
  const doc = parseYaml(readFileSync(file, "utf8")) as { users?: StaticUser[] } | null;
  const users = doc?.users ?? [];
  for (const u of users) {
    if (!u.name || (!u.password && !u.token)) throw new Error(`${file}: every user needs a name and a password or token`);
  }
  return async (md) => {
    const value = header(md);
    if (!value) throw new UnauthenticatedError("missing authorization metadata (Basic or Bearer credentials)");
    const basic = parseBasic(value);
    const bearer = /^Bearer\s+(.+)$/i.exec(value)?.[1];
    const user = basic
      ? users.find((u) => u.name === basic.user && u.password !== undefined && same(u.password, basic.password))
      : bearer !== undefined ? users.find((u) => u.token !== undefined && same(u.token, bearer)) : undefined;
    if (!user) throw new UnauthenticatedError("invalid credentials");
    return { user: user.name, projects: user.projects ?? [], admin: user.admin === true };
  };
}

/** Throws PERMISSION_DENIED unless the caller is an admin or a member of `project`. */
export function assertProject(caller: Caller, project: string): void {
  if (caller.admin || caller.projects.includes(project)) return;
  throw new PermissionDeniedError(`user ${caller.user} is not a member of project ${project}`);
}

/** Throws PERMISSION_DENIED unless the caller is an admin. */
export function assertAdmin(caller: Caller, action: string): void {
  if (!caller.admin) throw new PermissionDeniedError(`${action} needs an admin; user ${caller.user} is not one`);
}

export function header(md: Metadata): string | undefined {
  const v = md.get("authorization")[0];
  return typeof v === "string" ? v : undefined;
}

function parseBasic(value: string | undefined): { user: string; password: string } | undefined {
  const m = value ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(value) : null;
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const i = text.indexOf(":");
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The Authenticator a service's config names (BMI_AUTH, BMI_AUTH_FILE). */
export function authFromConfig(cfg: { auth: "none" | "static"; authFile: string }): Authenticator {
  if (cfg.auth === "static") {
    if (!cfg.authFile) throw new Error("BMI_AUTH=static needs BMI_AUTH_FILE");
    return staticAuth(cfg.authFile);
  }
  return noneAuth();
}
