import { randomUUID } from "node:crypto";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { InvalidArgumentError, UnavailableError } from "@bmi/errors";
import { tracingOn } from "@bmi/tracing";
import { auditSubjectOf } from "./audit";
import { principalValue } from "./auth";
import type { CallOpts } from "./client";
import type { CallContext } from "./context";
import { fromServiceError, toStatus } from "./status";

/**
 * Batched calls: `CreateDisks` is many `CreateDisk`s in one RPC, each item answered as its own call would have been.
 * Under a bulk job hundreds of steps call the same method at once; one call for many of them saves each item the
 * call's own cost on both sides (HTTP/2 frames and their system calls, TLS records, the call's log line and the
 * caller's identity), which on two cores was most of what the services spent per node beside the work itself.
 */

/** At most this many items in one batched call (INVALID_ARGUMENT beyond). */
export const MAX_BATCH_ITEMS = 256;

/** One item of a batched request (the generated `...Item` messages). */
export interface BatchItem<Req> {
  request: Req | undefined;
  requestId: string;
}
/** One item's outcome (the generated `...Result` messages). */
export interface BatchResult<Res> {
  response?: Res | undefined;
  error?: { code: number; message: string } | undefined;
}

// What an item's request id may be: what x-request-id may carry, printable and bounded.
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The server side: a batched method's handler from its single method's. Every item runs the single handler with the
 * call's caller (the access rule of the batched method is the single one's, checked once by the chassis; each item's
 * own checks, membership first, run inside the handler as they would for its own call), all items at once, and
 * answers its response or its status; an item's failure never fails the others. Each item is logged when it fails
 * and audited under its own request id, project and names, as its own call would have been.
 */
export function batchOf<Req, Res>(single: (request: Req, ctx: CallContext) => Promise<Res>) {
  return async (req: { items: Array<BatchItem<Req>> }, ctx: CallContext): Promise<{ results: Array<BatchResult<Res>> }> => {
    if (req.items.length > MAX_BATCH_ITEMS) {
      throw new InvalidArgumentError(`at most ${MAX_BATCH_ITEMS} items in one call, got ${req.items.length}`);
    }
    const bad = req.items.findIndex((i) => i.requestId !== "" && !REQUEST_ID.test(i.requestId));
    if (bad >= 0) throw new InvalidArgumentError(`item ${bad}: a request id is 1 to 128 printable ASCII characters`);
    const results = await Promise.all(req.items.map(async (item, index): Promise<BatchResult<Res>> => {
      const requestId = item.requestId || ctx.requestId;
      const log = item.requestId ? ctx.log.child({ item: requestId }) : ctx.log;
      const subject = ctx.auditItem ? auditSubjectOf(item.request) : undefined;
      try {
        if (!item.request) throw new InvalidArgumentError(`item ${index} has no request`);
        const { audit: _, ...base } = ctx;
        const response = await single(item.request, { ...base, requestId, log, ...(subject ? { audit: subject } : {}) });
        if (subject) ctx.auditItem?.(requestId, subject, "OK");
        return { response };
      } catch (err) {
        const s = toStatus(err);
        if (s.unexpected) log.error({ err }, "unexpected error");
        log.warn({ index, status: status[s.code], code: s.code, error: s.details }, "item");
        if (subject) ctx.auditItem?.(requestId, subject, status[s.code] ?? String(s.code));
        return { error: { code: s.code, message: s.details } };
      }
    }));
    return { results };
  };
}

export interface BatchingOptions {
  /** Items in one call; more calls wait for the next. Default 64. */
  maxItems?: number;
  /**
   * Calls of one method and caller in flight at once; while that many are, new calls wait and go out together in the
   * next one. With fewer in flight a call goes out at once (alone, as the single method, when it is alone): an idle
   * system pays no latency for batching. Default 4.
   */
  maxInFlight?: number;
}

type Single<Req, Res> = (request: Req, opts?: CallOpts) => Promise<Res>;
type Many<Req, Res> = (request: { items: Array<BatchItem<Req>> }, opts?: CallOpts) => Promise<{ results: Array<BatchResult<Res>> }>;

interface Waiting<Req, Res> {
  request: Req;
  opts: CallOpts | undefined;
  resolve(res: Res): void;
  reject(err: unknown): void;
}

interface Lane<Req, Res> {
  queue: Array<Waiting<Req, Res>>;
  inFlight: number;
  scheduled: boolean;
}

/**
 * The client side: `single` as callers use it, with the calls of one caller (the same principal, so the same
 * metadata) that pile up while `maxInFlight` calls are out sent as one `many` call. An item's error is the domain
 * error its own call would have raised; the whole call's failure is every item's. A server without the batched
 * method (UNIMPLEMENTED: an older version) gets single calls from then on. Calls that carry credentials of their
 * own (an authorization header) or a trace span of their own are never batched.
 */
export function batching<Req, Res>(service: string, single: Single<Req, Res>, many: Many<Req, Res>, options: BatchingOptions = {}): Single<Req, Res> {
  const maxItems = Math.max(1, Math.min(options.maxItems ?? 64, MAX_BATCH_ITEMS));
  const maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  const lanes = new Map<string, Lane<Req, Res>>();
  let unimplemented = false;

  const schedule = (key: string, lane: Lane<Req, Res>) => {
    if (lane.scheduled) return;
    lane.scheduled = true;
    // Calls made in the same turn of the event loop (a claim that starts many steps) leave together.
    setImmediate(() => {
      lane.scheduled = false;
      pump(key, lane);
    });
  };
  const pump = (key: string, lane: Lane<Req, Res>) => {
    while (lane.queue.length > 0 && lane.inFlight < maxInFlight) {
      const items = lane.queue.splice(0, maxItems).filter((w) => !aborted(w));
      if (items.length === 0) continue;
      lane.inFlight++;
      void send(items).finally(() => {
        lane.inFlight--;
        if (lane.queue.length > 0) schedule(key, lane);
        else if (lane.inFlight === 0 && !lane.scheduled) lanes.delete(key);
      });
    }
  };
  const one = (w: Waiting<Req, Res>) => single(w.request, w.opts).then(w.resolve, w.reject);
  const send = async (items: Array<Waiting<Req, Res>>): Promise<void> => {
    if (items.length === 1 || unimplemented) {
      await Promise.all(items.map(one));
      return;
    }
    let results: Array<BatchResult<Res>>;
    try {
      ({ results } = await many({ items: items.map((w) => ({ request: w.request, requestId: requestIdOf(w.opts) })) }, batchOpts(items)));
    } catch (err) {
      if (((err as { cause?: Partial<ServiceError> }).cause?.code) === status.UNIMPLEMENTED) {
        unimplemented = true;
        await Promise.all(items.map(one));
      } else {
        for (const w of items) w.reject(err);
      }
      return;
    }
    items.forEach((w, i) => {
      const r = results[i];
      if (r?.response) w.resolve(r.response);
      else if (r?.error) w.reject(itemError(r.error, service));
      else w.reject(new UnavailableError(`${service}: answered ${results.length} results for ${items.length} items`));
    });
  };

  return (request, opts) => {
    const key = unimplemented ? undefined : batchKey(opts);
    const signal = opts?.signal ?? opts?.ctx?.signal;
    if (key === undefined) return single(request, opts);
    // A call cancelled before it is made is refused at once and opens no lane.
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("call cancelled"));
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, lane = { queue: [], inFlight: 0, scheduled: false });
    const l = lane;
    return new Promise<Res>((resolve, reject) => {
      const w: Waiting<Req, Res> = { request, opts, resolve, reject };
      if (signal) {
        // A call cancelled while it waits leaves the queue; one already sent ends for its caller now (its item
        // still runs on the server, as a cancelled call's handler may).
        const cancel = () => {
          const i = l.queue.indexOf(w);
          if (i >= 0) l.queue.splice(i, 1);
          reject(signal.reason ?? new Error("call cancelled"));
        };
        signal.addEventListener("abort", cancel, { once: true });
        w.resolve = (res) => { signal.removeEventListener("abort", cancel); resolve(res); };
        w.reject = (err) => { signal.removeEventListener("abort", cancel); reject(err); };
      }
      l.queue.push(w);
      schedule(key, l);
    });
  };
}

/**
 * `client` with the named methods batched: `{ createDisk: "createDisks" }` sends CreateDisk calls through
 * CreateDisks under load. Every other method is the client's own.
 */
export function withBatching<C extends object>(client: C, service: string, pairs: Partial<Record<keyof C & string, keyof C & string>>, options?: BatchingOptions): C {
  const methods = client as unknown as Record<string, (req: unknown, opts?: CallOpts) => Promise<unknown>>;
  const replaced = new Map<string, unknown>();
  for (const [one, many] of Object.entries(pairs) as Array<[string, string]>) {
    const s = methods[one]!;
    const m = methods[many]!;
    replaced.set(one, batching(service, (r, o) => s(r, o), (r, o) => m(r, o) as ReturnType<Many<unknown, unknown>>, options));
  }
  return new Proxy(client, { get: (target, prop, receiver) => (typeof prop === "string" && replaced.get(prop)) || Reflect.get(target, prop, receiver) });
}

/** Calls that may share one batched call: the same principal (hence the same metadata), no credentials of their own. */
function batchKey(o: CallOpts | undefined): string | undefined {
  if (tracingOn() || o?.authorization || o?.ctx?.authorization) return undefined;
  const p = o?.onBehalfOf ?? (o?.ctx?.caller?.user ? o.ctx.caller : undefined);
  return p ? principalValue(p) : "";
}

function requestIdOf(o: CallOpts | undefined): string {
  return o?.requestId ?? o?.ctx?.requestId ?? randomUUID();
}

// The batched call speaks for the items' principal (all the same), with the earliest of their deadlines.
function batchOpts<Req, Res>(items: Array<Waiting<Req, Res>>): CallOpts {
  const first = items[0]?.opts;
  const now = Date.now();
  const deadlineMs = Math.max(1, Math.min(...items.map((w) => {
    const own = w.opts?.deadlineMs !== undefined ? now + w.opts.deadlineMs : Infinity;
    return Math.min(own, w.opts?.ctx?.deadline ?? Infinity) - now;
  })));
  const principal = first?.onBehalfOf ?? (first?.ctx?.caller?.user ? first.ctx.caller : undefined);
  return {
    ...(principal ? { onBehalfOf: { user: principal.user, projects: principal.projects, admin: principal.admin } } : {}),
    ...(Number.isFinite(deadlineMs) ? { deadlineMs } : {}),
  };
}

function aborted<Req, Res>(w: Waiting<Req, Res>): boolean {
  return (w.opts?.signal ?? w.opts?.ctx?.signal)?.aborted === true;
}

/** An item's status as the domain error its own call would have raised. */
function itemError(e: { code: number; message: string }, service: string): Error {
  const err = Object.assign(new Error(e.message), { code: e.code as status, details: e.message, metadata: new Metadata() });
  return fromServiceError(err as ServiceError, service);
}
