import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { CancelledError, DeadlineExceededError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { auditSubjectOf, isMutating, noteFirst, type AuditSink, type AuditSubject } from "./audit";
import { authenticate, header, type Authenticator, type Caller } from "./auth";
import { checkAccess, type Access } from "./policy";
import { peerIdentity } from "./tls";
import type { CallContext } from "./context";
import type { MethodDefinitionLike } from "./handlers";
import { decoded, decodedStream } from "./decode";
import { toStatus } from "./status";
import { rpcSeconds } from "./metrics";
import { fromHeaders, openSpan, SpanKind, within } from "@bmi/tracing";

export interface CallRunner {
  log: Logger;
  auth: Authenticator;
  defaultDeadlineMs: number;
  /** Receives an entry for every mutating call, accepted or refused. */
  audit?: AuditSink;
  /** The server's name in audit entries. */
  name?: string;
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> |
  grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;
type AnyHandler = (...args: never[]) => unknown;

/**
 * The interceptor chain every BMI method runs through: request id, caller identity (auth), deadline and
 * cancellation, one log line per call with method/status/duration, and error mapping at the edge.
 */
export function wrapMethod(def: MethodDefinitionLike, handler: AnyHandler, access: Access, base: CallRunner): grpc.UntypedHandleCall {
  const h = handler as unknown as (input: unknown, ctx: CallContext) => unknown;
  const runner: MethodRunner = { ...base, access, audited: base.audit !== undefined && isMutating(def.path) };
  if (!def.requestStream && !def.responseStream) {
    return ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      void run(def.path, call, runner, async (ctx) => {
        const res = await h(decoded(call.request), ctx);
        cb(null, res, trailers(ctx));
      }).then((err) => err && cb(err));
    }) as grpc.handleUnaryCall<unknown, unknown>;
  }
  if (def.requestStream && !def.responseStream) {
    return ((call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      void run(def.path, call, runner, async (ctx) => {
        const messages = decodedStream(call as AsyncIterable<unknown>);
        const subject = ctx.audit;
        const res = await h(subject ? noteFirst(messages, (first) => Object.assign(subject, auditSubjectOf(first))) : messages, ctx);
        cb(null, res, trailers(ctx));
      }).then((err) => err && cb(err));
    }) as grpc.handleClientStreamingCall<unknown, unknown>;
  }
  return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
    void run(def.path, call, runner, async (ctx) => {
      const input = def.requestStream ? decodedStream(call as unknown as AsyncIterable<unknown>) : decoded(call.request);
      for await (const msg of h(input, ctx) as AsyncIterable<unknown>) {
        if (ctx.signal.aborted) break;
        if (!call.write(msg)) {
          // A slow reader that cancels never drains: wake on abort too, or the handler would hang for ever.
          await new Promise<void>((resolve) => {
            const done = () => { call.off("drain", done); ctx.signal.removeEventListener("abort", done); resolve(); };
            call.once("drain", done);
            ctx.signal.addEventListener("abort", done, { once: true });
          });
        }
      }
      call.end(trailers(ctx));
    }).then((err) => err && call.emit("error", err));
  }) as grpc.handleServerStreamingCall<unknown, unknown>;
}

function trailers(ctx: CallContext): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("x-request-id", ctx.requestId);
  return md;
}

/** Runs one call; answers the error to send (already mapped and logged), or undefined on success. */
interface MethodRunner extends CallRunner {
  access: Access;
  audited: boolean;
}

async function run(
  method: string, call: AnyCall, runner: MethodRunner, body: (ctx: CallContext) => Promise<void>,
): Promise<Partial<grpc.StatusObject> | undefined> {
  const start = performance.now();
  const md = call.metadata;
  const requestId = (md.get("x-request-id")[0] as string | undefined) ?? randomUUID();
  const log = runner.log.child({ requestId, method });
  // The caller's trace (traceparent in the metadata) continues here; the handler's own calls are children of it.
  const span = openSpan(method, {
    kind: SpanKind.SERVER, parent: fromHeaders((key) => md.get(key)[0] as string | undefined),
    attributes: { "rpc.system": "grpc", "rpc.method": method, "bmi.request_id": requestId },
  });
  const abort = new AbortController();
  const callDeadline = call.getDeadline();
  const deadline = callDeadline === Infinity
    ? Date.now() + runner.defaultDeadlineMs
    : typeof callDeadline === "number" ? callDeadline : callDeadline.getTime();
  const timer = setTimeout(() => abort.abort(new DeadlineExceededError(`${method}: deadline exceeded`)),
    Math.max(0, deadline - Date.now()));
  // grpc-js says "cancelled" after every call, also once its status is sent: only a call still running is aborted
  // (an Error with its stack and an abort per call was a service's cost for nothing).
  let ended = false;
  (call as grpc.ServerUnaryCall<unknown, unknown>).on("cancelled", () => {
    if (!ended) abort.abort(new CancelledError(`${method}: cancelled by the client`));
  });
  let user = "";
  let outcome: Partial<grpc.StatusObject> | undefined;
  // A unary or server-streaming request is known now; a client stream's first message fills it in as it is read.
  const audit: AuditSubject | undefined = runner.audited ? auditSubjectOf((call as { request?: unknown }).request) : undefined;
  let who: Caller | undefined;
  try {
    const caller = await authenticate(runner.auth, md, peerIdentity(call as never));
    who = caller;
    user = caller.service ? `${caller.user}@${caller.service}` : caller.user;
    checkAccess(runner.access, caller, method);
    const authorization = header(md);
    const ctx: CallContext = {
      method, requestId, caller, metadata: md, signal: abort.signal, deadline, log,
      ...(authorization !== undefined ? { authorization } : {}), ...(audit ? { audit } : {}),
      ...(audit ? { auditItem: (itemRequestId: string, subject: AuditSubject, itemCode: string) => runner.audit?.record({
        time: new Date(), service: runner.name ?? "", method, requestId: itemRequestId, code: itemCode, peer: call.getPeer(),
        caller: { user: caller.user, admin: caller.admin, ...(caller.service ? { service: caller.service } : {}) },
        project: subject.project, resources: subject.resources,
      }) } : {}),
    };
    await Promise.race([within(span, () => body(ctx)), rejectOnAbort(abort.signal)]);
  } catch (err) {
    const s = toStatus(err);
    if (s.unexpected) log.error({ err }, "unexpected error");
    outcome = { code: s.code, details: s.details, metadata: new grpc.Metadata() };
  } finally {
    ended = true;
    clearTimeout(timer);
  }
  const code = outcome?.code ?? grpc.status.OK;
  const seconds = (performance.now() - start) / 1000;
  rpcSeconds.observe({ method, code: grpc.status[code] }, seconds);
  span.setAttributes({ "rpc.grpc.status_code": code, ...(user ? { "bmi.user": user } : {}) });
  span.end(code === grpc.status.OK ? undefined : `${grpc.status[code]}: ${outcome?.details ?? ""}`);
  const entry = { status: grpc.status[code], code, durationMs: Math.round(seconds * 10_000) / 10, user, peer: call.getPeer() };
  if (code === grpc.status.OK) log.info(entry, "call");
  else log.warn({ ...entry, error: outcome?.details }, "call");
  if (audit) {
    runner.audit?.record({
      time: new Date(), service: runner.name ?? "", method, requestId, code: grpc.status[code], peer: call.getPeer(),
      caller: { user: who?.user ?? "", admin: who?.admin ?? false, ...(who?.service ? { service: who.service } : {}) },
      project: audit.project, resources: audit.resources,
    });
  }
  return outcome;
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
