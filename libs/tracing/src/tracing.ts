import {
  context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span,
} from "@opentelemetry/api";
import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/**
 * Off until startTracing: then every helper below is a constant answer or a direct call, so a service without
 * BMI_OTLP_ENDPOINT pays nothing for the spans it would make.
 */
let provider: NodeTracerProvider | undefined;

export interface Tracing {
  /** Sends what is still buffered and stops; after it no span is exported. */
  shutdown(): Promise<void>;
}

/**
 * Exports this process's spans over OTLP/HTTP (JSON) to `endpoint` (a collector's /v1/traces URL), as
 * service.name `service`, and propagates W3C trace context. Spans are batched and sent every second, and
 * whatever is left at shutdown.
 */
export function startTracing(service: string, endpoint: string): Tracing {
  // The SDK and its exporter load here, not at import: every process that imports this (the bmi CLI, each service
  // without BMI_OTLP_ENDPOINT) would otherwise load them for nothing, about a third of the CLI's start-up.
  const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http");
  const { resourceFromAttributes } = require("@opentelemetry/resources") as typeof import("@opentelemetry/resources");
  const { BatchSpanProcessor, NodeTracerProvider } = require("@opentelemetry/sdk-trace-node") as typeof import("@opentelemetry/sdk-trace-node");
  const p = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }), { scheduledDelayMillis: 1000 })],
  });
  p.register();
  provider = p;
  return {
    async shutdown() {
      await p.shutdown();
      provider = undefined;
    },
  };
}

export function tracingOn(): boolean {
  return provider !== undefined;
}

/** A span being timed, and the context that makes it the parent of what runs in it. */
export interface OpenSpan {
  readonly context: Context;
  setAttributes(attributes: Attributes): void;
  /** Ends it; with `error`, marked failed with that message. */
  end(error?: string): void;
}

const NOT_TRACED: OpenSpan = { context: ROOT_CONTEXT, setAttributes: () => undefined, end: () => undefined };

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent: the active context when absent. */
  parent?: Context;
}

export function openSpan(name: string, opts: SpanOptions = {}): OpenSpan {
  if (!provider) return NOT_TRACED;
  const parent = opts.parent ?? context.active();
  const span: Span = trace.getTracer("bmi").startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes ?? {} }, parent);
  return {
    context: trace.setSpan(parent, span),
    setAttributes: (a) => span.setAttributes(a),
    end(error) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end();
    },
  };
}

/** A child of the active span, or nothing when no span is active (a background loop's work stays untraced). */
export function openChildSpan(name: string, opts: Omit<SpanOptions, "parent"> = {}): OpenSpan {
  return provider && trace.getActiveSpan() ? openSpan(name, opts) : NOT_TRACED;
}

/** Runs `fn` inside a span, ended when `fn` settles (failed if it throws). */
export async function inSpan<T>(name: string, opts: SpanOptions, fn: () => Promise<T>): Promise<T> {
  if (!provider) return fn();
  const span = openSpan(name, opts);
  try {
    const res = await context.with(span.context, fn);
    span.end();
    return res;
  } catch (err) {
    span.end(err instanceof Error ? err.message : String(err));
    throw err;
  }
}

/** Runs `fn` with `span`'s context active, so the calls it makes are its children. */
export function within<T>(span: OpenSpan, fn: () => T): T {
  return provider ? context.with(span.context, fn) : fn();
}

/** Sets attributes on the active span (a handler naming the job it made). */
export function annotate(attributes: Attributes): void {
  if (provider) trace.getActiveSpan()?.setAttributes(attributes);
}

/** The W3C headers (traceparent, tracestate) of `ctx`, to send along or to store; empty when off. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  if (provider) propagation.inject(ctx, headers);
  return headers;
}

/** The context `headers` (as traceHeaders made them, or a call's metadata) continue. */
export function fromHeaders(get: (name: string) => string | undefined): Context {
  if (!provider) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, {}, {
    keys: () => ["traceparent", "tracestate"],
    get: (_carrier, key) => get(key),
  });
}

export { SpanKind };
