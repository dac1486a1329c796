import type { Caller } from "@bmi/grpc";

export { assertMember } from "@bmi/grpc";

/**
 * Who asks, as the gRPC edge established it, and their live authorization header: kept (sealed) by a job only in
 * HIL pass-through mode, see principal.ts.
 */
export interface Requester extends Caller {
  authorization: string;
  /** The request that asks (x-request-id), carried by the calls of the job it makes. */
  requestId?: string;
  /** The W3C trace context of the request (traceparent, tracestate), which the job it makes continues. */
  trace?: Record<string, string>;
}
