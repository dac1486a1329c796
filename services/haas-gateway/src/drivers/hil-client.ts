import {
  BmiError, DeadlineExceededError, FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError,
  UnauthenticatedError, UnavailableError,
} from "@bmi/errors";
import { Semaphore } from "@bmi/async";
import type { CallScope } from "../node-driver";
import { hilSeconds } from "./hil-metrics";

/** HIL's 409 BlockedError: another action is pending on the NIC (or the change is already there). Retryable. */
export class HilBlockedError extends FailedPreconditionError {}

export interface HilClientOptions {
  /** HIL's base URL, without /v0. */
  url: string;
  /** Per request, on top of the caller's own deadline. */
  requestTimeoutMs: number;
  /**
   * Service account mode: BMI's own HIL credentials ("Basic ..."), used for every request; the gateway enforces
   * project ownership itself. Absent: each caller's own credentials are passed through.
   */
  serviceAuthorization?: string;
  /** At most this many requests to HIL (and its OBM daemons) in flight from this gateway; more wait their turn. */
  concurrency?: number;
}

type Method = "GET" | "PUT" | "POST" | "DELETE";

/**
 * HTTP to HIL with the caller's own credentials: "Basic ..." goes as HTTP Basic (HIL's database auth), "Bearer x"
 * as X-Auth-Token (keystone). The gateway holds no HIL password of its own. Node's fetch keeps connections alive.
 */
export class HilClient {
  private readonly base: string;
  /** HIL is the slow, shared party: the gateway that talks to it holds its requests to BMI_HAAS_HIL_CONCURRENCY. */
  private readonly gate: Semaphore;

  constructor(private readonly opts: HilClientOptions) {
    this.base = opts.url.replace(/\/+$/, "");
    this.gate = new Semaphore(opts.concurrency ?? 16);
  }

  /** Calls HIL; answers the parsed JSON body (HIL labels it text/html) or throws the mapped domain error. */
  async call(scope: CallScope, method: Method, path: string, body?: object): Promise<unknown> {
    const res = await this.send(scope, `${this.base}${path}`, method, body, credentials(this.opts.serviceAuthorization ?? scope.authorization));
    return answer(res, "HIL");
  }

  /**
   * A power call: HIL answers 307 to its OBM daemon, which gets the same method and body again. The caller's
   * credentials stay with HIL; the redirect carries its own token.
   */
  async redirected(scope: CallScope, method: Method, path: string, body?: object): Promise<unknown> {
    const first = await this.send(scope, `${this.base}${path}`, method, body, credentials(this.opts.serviceAuthorization ?? scope.authorization));
    const location = first.headers.get("location");
    if ((first.status !== 307 && first.status !== 308) || !location) return answer(first, "HIL");
    const target = new URL(location, `${this.base}/`);
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      throw new UnavailableError(`HIL redirected a power call to an unusable URL (${target.protocol})`);
    }
    return answer(await this.send(scope, target.href, method, body, {}), "the OBM daemon");
  }

  /** A GET that meets a dead pooled connection (HIL restarted) is sent once more; it changes nothing. */
  private async send(scope: CallScope, url: string, method: Method, body: object | undefined, auth: Record<string, string>) {
    try {
      return await this.sendOnce(scope, url, method, body, auth);
    } catch (err) {
      const code = ((err as { cause?: { cause?: { code?: string } } }).cause?.cause?.code) ?? "";
      if (method !== "GET" || !/^(UND_ERR_SOCKET|ECONNRESET|EPIPE)$/.test(code)) throw err;
      return this.sendOnce(scope, url, method, body, auth);
    }
  }

  private async sendOnce(scope: CallScope, url: string, method: Method, body: object | undefined, auth: Record<string, string>) {
    try {
      return await this.gate.run(() => this.request(scope, url, method, body, auth), scope.signal);
    } catch (err) {
      // The caller's deadline passed while the request waited for its turn: it never reached HIL.
      if (scope.signal.aborted && !(err instanceof BmiError)) {
        throw new DeadlineExceededError(`the call ended while waiting for a turn to ask HIL (${method} ${pathOf(url)})`);
      }
      throw err;
    }
  }

  private async request(scope: CallScope, url: string, method: Method, body: object | undefined, auth: Record<string, string>) {
    const signal = AbortSignal.any([scope.signal, AbortSignal.timeout(this.opts.requestTimeoutMs)]);
    const headers: Record<string, string> = { ...auth };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const timer = hilSeconds.startTimer({ method });
    try {
      const res = await fetch(url, {
        method, headers, signal, redirect: "manual",
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      timer({ status: String(res.status) });
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      timer({ status: "unreachable" });
      if (scope.signal.aborted) throw new DeadlineExceededError(`the call ended while waiting for HIL (${method} ${pathOf(url)})`);
      const why = signal.aborted ? `no answer within ${this.opts.requestTimeoutMs} ms` : describe(err);
      throw new UnavailableError(`HIL is unavailable (${method} ${pathOf(url)}): ${why}`, { cause: err });
    }
  }
}

function credentials(authorization: string | undefined): Record<string, string> {
  const auth = authorization?.trim() ?? "";
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  if (bearer !== undefined) return { "X-Auth-Token": bearer };
  if (/^Basic\s+\S+$/i.test(auth)) return { Authorization: auth };
  return {};
}

function answer(res: { status: number; text: string }, who: string): unknown {
  const json = parse(res.text);
  if (res.status >= 200 && res.status < 300) return json;
  throw translateHilResponse(res.status, json, who);
}

/** HIL's answer (HTTP status and `{type, msg}` body) as the domain error, with HIL's own message: the HIL translator. */
export function translateHilResponse(status: number, body: unknown, who = "HIL"): BmiError {
  const { type, msg } = (typeof body === "object" && body !== null ? body : {}) as { type?: unknown; msg?: unknown };
  const text = `${who}: ${typeof msg === "string" && msg !== "" ? msg : `HTTP ${status}`}` +
    (typeof type === "string" ? ` (${type})` : "");
  if (status === 400) return new InvalidArgumentError(text);
  if (status === 401) return new UnauthenticatedError(text);
  if (status === 403) return new PermissionDeniedError(text);
  if (status === 404) return new NotFoundError(text);
  if (status === 409) return type === "BlockedError" ? new HilBlockedError(text) : new FailedPreconditionError(text);
  return new UnavailableError(text);
}

function parse(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { msg: text.slice(0, 200) };
  }
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(err);
}
