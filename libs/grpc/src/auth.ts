import { readFileSync } from "node:fs";
import { timingSafeEqual } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";
import { parse as parseYaml } from "yaml";
import { UnauthenticatedError } from "@bmi/errors";

/** Who is calling, as established by the Authenticator. */
export interface Caller {
  /** The end user; empty when a service calls as itself. */
  user: string;
  projects: string[];
  admin: boolean;
  /** The calling BMI service, from its verified client certificate; absent for users' own clients. */
  service?: string;
}

/** Pluggable check of the `authorization` metadata: answers the caller or throws UNAUTHENTICATED. */
export type Authenticator = (metadata: Metadata) => Promise<Caller>;

/** The metadata key a BMI service uses to say on whose behalf it calls (base64url JSON of user, projects, admin). */
export const PRINCIPAL_HEADER = "x-bmi-principal";

/** The user identity a service forwards, as the metadata value. */
export function principalValue(c: Pick<Caller, "user" | "projects" | "admin">): string {
  return Buffer.from(JSON.stringify({ user: c.user, projects: c.projects, admin: c.admin })).toString("base64url");
}

/**
 * Who is calling: a BMI service (verified certificate, `peer`) speaking for the user it forwards, a service
 * calling as itself, or a user's client authenticated by `auth`. A forwarded identity is believed only from a
 * peer with a verified certificate: anyone else sending the header is refused, not ignored, so a misconfigured
 * client is noticed.
 */
export async function authenticate(auth: Authenticator, md: Metadata, peer: string | undefined): Promise<Caller> {
  const forwarded = md.get(PRINCIPAL_HEADER)[0];
  if (forwarded !== undefined) {
    if (!peer) throw new UnauthenticatedError(`${PRINCIPAL_HEADER} is accepted only from a BMI service's client certificate`);
    return { ...parsePrincipal(String(forwarded)), service: peer };
  }
  if (peer && header(md) === undefined) return { user: "", projects: [], admin: false, service: peer };
  const caller = await auth(md);
  return peer ? { ...caller, service: peer } : caller;
}

function parsePrincipal(value: string): Caller {
  try {
    const p = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Partial<Caller>;
    if (typeof p.user === "string" && Array.isArray(p.projects) && p.projects.every((x) => typeof x === "string")) {
      return { user: p.user, projects: p.projects, admin: p.admin === true };
    }
  } catch { /* answered below */ }
  throw new UnauthenticatedError(`${PRINCIPAL_HEADER} is not a valid principal`);
}

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
