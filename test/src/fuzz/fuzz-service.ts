import { eachLimit } from "@bmi/async";
import * as grpc from "@grpc/grpc-js";
import type * as protobuf from "protobufjs";
import { callOnce, type CallLimits, type CallOutcome } from "./generic-call";
import { serviceName } from "./descriptors";
import { hostileRequest } from "./hostile-message";
import { requestText } from "./request-text";
import { Rng } from "./rng";

/** A service of a running stack: its descriptor, a grpc-js client on the stack's channel, the metadata to send. */
export interface FuzzTarget {
  service: protobuf.Service;
  client: grpc.Client;
  metadata(): grpc.Metadata;
}

export interface FuzzOptions {
  seed: number;
  /** Requests per service, spread over its methods in turn. */
  calls: number;
  /** Calls in flight at once. */
  concurrency: number;
  limits: CallLimits;
}

export interface FuzzFailure {
  method: string;
  index: number;
  request: string;
  outcome: CallOutcome;
}

export interface ServiceFigures {
  service: string;
  calls: number;
  seconds: number;
  /** Status name (or `streaming`: cancelled by the fuzzer while still open) -> count. */
  codes: Record<string, number>;
  /** The same per method. */
  methods: Record<string, Record<string, number>>;
  maxMs: number;
  slowest: string;
  failureCount: number;
  /** The first few failures, each reproducible from the seed and its index. */
  failures: FuzzFailure[];
}

// The answers a hostile request must never get: a crash or a bug behind the handler, or no answer in time.
const FAILING = new Set<CallOutcome["code"]>([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DEADLINE_EXCEEDED, "no-status"]);
const KEPT_FAILURES = 20;

/** Request `index` of a run: its method and messages, the same for the same seed and index. */
export function fuzzRequest(service: protobuf.Service, seed: number, index: number):
  { method: protobuf.Method; messages: Record<string, unknown>[] } {
  const methods = service.methodsArray;
  const method = methods[index % methods.length]!;
  const rng = new Rng(seed ^ hashName(serviceName(service)), index);
  const count = method.requestStream ? 1 + rng.int(3) : 1;
  const type = method.resolvedRequestType!;
  return { method, messages: Array.from({ length: count }, () => hostileRequest(type, rng)) };
}

/** Sends `opts.calls` hostile requests to one service and tallies every answer. */
export async function fuzzService(target: FuzzTarget, opts: FuzzOptions): Promise<ServiceFigures> {
  const name = serviceName(target.service);
  const figures: ServiceFigures = { service: name, calls: 0, seconds: 0, codes: {}, methods: {}, maxMs: 0, slowest: "", failureCount: 0, failures: [] };
  const t0 = performance.now();
  await eachLimit(Array.from({ length: opts.calls }, (_, index) => index), opts.concurrency, async (index) => {
    const { method, messages } = fuzzRequest(target.service, opts.seed, index);
    const type = method.resolvedRequestType!;
    const encoded = messages.map((m) => Buffer.from(type.encode(m).finish()));
    const outcome = await callOnce(target.client, {
      path: `/${name}/${method.name}`, requestStream: !!method.requestStream, responseStream: !!method.responseStream,
    }, encoded, target.metadata(), opts.limits);
    const code = typeof outcome.code === "number" ? grpc.status[outcome.code] : outcome.code;
    figures.calls++;
    figures.codes[code] = (figures.codes[code] ?? 0) + 1;
    const perMethod = (figures.methods[method.name] ??= {});
    perMethod[code] = (perMethod[code] ?? 0) + 1;
    if (outcome.code !== "streaming" && outcome.ms > figures.maxMs) {
      figures.maxMs = outcome.ms;
      figures.slowest = `${method.name} #${index} (${code})`;
    }
    if (FAILING.has(outcome.code)) {
      figures.failureCount++;
      if (figures.failures.length < KEPT_FAILURES) {
        figures.failures.push({ method: method.name, index, request: requestText(messages), outcome });
      }
    }
  });
  figures.seconds = (performance.now() - t0) / 1000;
  return figures;
}

function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
