import type { CallScope } from "../node-driver";

/** A CallScope for tests: HTTP Basic credentials and the caller the gRPC edge would have established. */
export function basicScope(user: string, password: string, opts: { projects?: string[]; admin?: boolean } = {}): CallScope {
  return {
    caller: { user, projects: opts.projects ?? [], admin: opts.admin === true },
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
    signal: new AbortController().signal,
  };
}
