import type { Metadata } from "@grpc/grpc-js";
import type { Logger } from "@bmi/log";
import type { AuditSubject } from "./audit";
import type { Caller } from "./auth";

/** What a handler knows about the call besides its request. */
export interface CallContext {
  /** Full method path, e.g. /bmi.image.v1.ImageService/GetImage. */
  method: string;
  /** From the x-request-id metadata, or generated; echoed back and carried to downstream calls. */
  requestId: string;
  caller: Caller;
  /** The raw authorization header, to pass through to downstream services and HIL. Never log it. */
  authorization?: string;
  metadata: Metadata;
  /** Aborts when the client cancels or the deadline passes. */
  signal: AbortSignal;
  /** Milliseconds since the epoch when the call must be answered. */
  deadline: number;
  log: Logger;
  /** What the call's audit entry names (mutating calls on a server with an audit sink); a handler may add to it. */
  audit?: AuditSubject;
  /** Records an audit entry for one item of a batched call (set on a server with an audit sink for mutating calls). */
  auditItem?: (requestId: string, subject: AuditSubject, code: string) => void;
}
