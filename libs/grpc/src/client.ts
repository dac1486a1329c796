import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { PRINCIPAL_HEADER, principalValue, type Caller } from "./auth";
import type { CallContext } from "./context";
import { channelCredentials, type TlsFiles } from "./tls";
import { fromServiceError, isServiceError } from "./status";
import { openSpan, SpanKind, traceHeaders, tracingOn, type OpenSpan } from "@bmi/tracing";

type UnaryFn<Req, Res> = (
  request: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export interface CallOpts {
  /**
   * Forward the incoming call's caller (as the principal this service speaks for), its authorization (for HIL's
   * pass-through) and request id, and never outlive its deadline.
   */
  ctx?: Pick<CallContext, "authorization" | "requestId" | "deadline" | "signal"> & { caller?: Caller };
  /** The user this service calls for (a job's owner); needs the service's client certificate to be believed. */
  onBehalfOf?: Pick<Caller, "user" | "projects" | "admin">;
  /** Overrides the client's default deadline. */
  deadlineMs?: number;
  /** Explicit authorization header (the CLI). */
  authorization?: string;
  /** Explicit request id (the CLI: one for all the calls of one command, so every service logs the same id). */
  requestId?: string;
  signal?: AbortSignal;
}

/** Promise versions of every unary method of a ts-proto grpc-js client; `raw` for the streaming ones. */
export type PromiseClient<C> = {
  [K in Exclude<keyof C, keyof grpc.Client>]: C[K] extends UnaryFn<infer Req, infer Res> ? (request: Req, opts?: CallOpts) => Promise<Res> : never;
} & { raw: C; close(): void; metadata(opts?: CallOpts): grpc.Metadata; callOptions(opts?: CallOpts): Partial<grpc.CallOptions> };

export interface ClientOptions {
  /** Default deadline of each call. */
  deadlineMs?: number;
  /** Methods that are safe to retry (idempotent): retried on UNAVAILABLE through the service config. */
  retryMethods?: string[];
  /** Service name used in error messages, e.g. "image-service". */
  name?: string;
  /** TLS: the CA to trust, and this process's certificate and key when it has a service identity; plaintext when absent. */
  tls?: TlsFiles;
}

type ClientCtor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C;

/**
 * A typed client with deadlines on every call and retries for idempotent methods. Retries go through gRPC's
 * service config, so they respect the deadline and back off; non-idempotent calls are never retried
 * automatically, since a lost answer does not mean the call did nothing.
 */
export function createClient<C extends grpc.Client>(
  Ctor: ClientCtor<C> & { service: grpc.ServiceDefinition }, address: string, options: ClientOptions = {},
): PromiseClient<C> {
  const defs = Object.values(Ctor.service) as Array<{ path: string }>;
  const serviceName = defs[0]?.path.split("/")[1] ?? "";
  const retry = new Set(options.retryMethods ?? defs.map((d) => d.path.split("/")[2] ?? "").filter(isReadOnly));
  const serviceConfig = {
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: retry.size === 0 ? [] : [{
      name: [...retry].map((method) => ({ service: serviceName, method })),
      retryPolicy: {
        maxAttempts: 4, initialBackoff: "0.05s", maxBackoff: "1s", backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    }],
  };
  const raw = new Ctor(address, channelCredentials(options.tls), {
    "grpc.service_config": JSON.stringify(serviceConfig),
    "grpc.keepalive_time_ms": 30_000,
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
  });
  const name = options.name ?? serviceName;
  const metadata = (o?: CallOpts, span?: OpenSpan) => {
    const md = new grpc.Metadata();
    for (const [key, value] of Object.entries(traceHeaders(span?.context))) md.set(key, value);
    const auth = o?.authorization ?? o?.ctx?.authorization;
    if (auth) md.set("authorization", auth);
    const principal = o?.onBehalfOf ?? (o?.ctx?.caller?.user ? o.ctx.caller : undefined);
    if (principal) md.set(PRINCIPAL_HEADER, principalOf(principal));
    md.set("x-request-id", o?.requestId ?? o?.ctx?.requestId ?? randomUUID());
    return md;
  };
  // A unary call's metadata: the same for every call of one job (its principal and request id), so built once and
  // handed to grpc-js as it is (grpc-js clones what it is given before it adds to it). Built per call when traces
  // are on (each call has its own span), for calls that do not speak for a job's user (a handler forwarding its
  // caller: one request id per request, nothing to share), and when the call carries credentials (they are not
  // kept beyond the call).
  const unaryMetadata = (o: CallOpts | undefined, span: OpenSpan): grpc.Metadata => {
    const requestId = o?.requestId;
    if (tracingOn() || !o?.onBehalfOf || !requestId || o.authorization || o.ctx) return metadata(o, span);
    const key = `${principalOf(o.onBehalfOf)}\n${requestId}`;
    let md = shared.get(key);
    if (!md) {
      if (shared.size >= SHARED_METADATA_MAX) shared.clear();
      shared.set(key, md = metadata(o, span));
    }
    return md;
  };
  const callOptions = (o?: CallOpts): Partial<grpc.CallOptions> => {
    let deadline = Date.now() + (o?.deadlineMs ?? options.deadlineMs ?? 30_000);
    if (o?.ctx) deadline = Math.min(deadline, o.ctx.deadline);
    return { deadline };
  };
  const cache = new Map<string, unknown>();
  return new Proxy({} as PromiseClient<C>, {
    get(_t, prop: string) {
      if (prop === "raw") return raw;
      if (prop === "close") return () => raw.close();
      if (prop === "metadata") return metadata;
      if (prop === "callOptions") return callOptions;
      if (prop === "then") return undefined;
      let fn = cache.get(prop);
      if (!fn) {
        const method = (raw as unknown as Record<string, UnaryFn<unknown, unknown>>)[prop];
        if (typeof method !== "function") return undefined;
        const path = `/${serviceName}/${prop.charAt(0).toUpperCase()}${prop.slice(1)}`;
        fn = (request: unknown, o?: CallOpts) =>
          new Promise((resolve, reject) => {
            const span = openSpan(path, { kind: SpanKind.CLIENT, attributes: { "rpc.system": "grpc", "rpc.method": path } });
            const signal = o?.signal ?? o?.ctx?.signal;
            const cancel = (): void => call.cancel();
            const call = method.call(raw, request, unaryMetadata(o, span), callOptions(o), (err, res) => {
              // A long-lived signal (a job's, a server call's) outlives many calls: each takes its listener away.
              signal?.removeEventListener("abort", cancel);
              span.end(err ? err.message : undefined);
              if (err) reject(isServiceError(err) ? fromServiceError(err, name) : err);
              else resolve(res);
            });
            signal?.addEventListener("abort", cancel, { once: true });
          });
        cache.set(prop, fn);
      }
      return fn;
    },
  });
}

/** Metadata of unary calls by principal and request id (one entry per running job, in the orchestrator). */
const shared = new Map<string, grpc.Metadata>();
const SHARED_METADATA_MAX = 1024;
/** The principal header of the identity objects a caller passes again and again (a job's, per call). */
const principals = new WeakMap<object, string>();

function principalOf(p: Pick<Caller, "user" | "projects" | "admin">): string {
  let v = principals.get(p);
  if (v === undefined) principals.set(p, v = principalValue(p));
  return v;
}

function isReadOnly(method: string): boolean {
  return /^(Get|List|Render|Watch)/.test(method);
}
