import type { Principal } from "./sim-auth";
import type { SimActions } from "./sim-actions";
import { faults, type SimState } from "./sim-state";

/** A parsed request as a HIL API function sees it. */
export interface SimRequest {
  params: Record<string, string>;
  /** Empty unless the request was sent as application/json, as in HIL. */
  body: Record<string, unknown>;
  principal: Principal;
}
export interface SimAnswer { status: number; json?: unknown; location?: string }
export interface SimEnv { state: SimState; actions: SimActions }
export interface Route {
  method: string;
  path: string;
  handle(req: SimRequest, env: SimEnv): SimAnswer;
}

export const ok: SimAnswer = { status: 200 };

/** Finds the route for `method path`; path templates use `<name>` for a segment, as HIL's rest_call does. */
export function matchRoute(routes: readonly Route[], method: string, path: string) {
  let pathMatched = false;
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return { pathMatched };
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? "";
    const g = got[i] ?? "";
    if (w.startsWith("<") && w.endsWith(">")) {
      if (g === "") return undefined;
      params[w.slice(1, -1)] = decodeURIComponent(g);
    } else if (w !== g) return undefined;
  }
  return params;
}

export function param(req: SimRequest, name: string): string {
  const v = req.params[name];
  if (v === undefined) throw new Error(`route has no <${name}>`);
  return v;
}

/** A required string field of the body (HIL's schema check answers 400 ValidationError). */
export function field(req: SimRequest, name: string): string {
  const v = req.body[name];
  if (typeof v !== "string") throw faults.validation(`Missing or invalid key: '${name}' (a string)`);
  return v;
}

export function optionalField(req: SimRequest, name: string): string | undefined {
  return req.body[name] === undefined ? undefined : field(req, name);
}

export function boolField(req: SimRequest, name: string): boolean {
  const v = req.body[name];
  if (typeof v !== "boolean") throw faults.validation(`Missing or invalid key: '${name}' (a boolean)`);
  return v;
}
