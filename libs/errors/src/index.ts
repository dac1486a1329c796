/**
 * The closed set of domain errors. Domain code throws these; the gRPC edge (@bmi/grpc toStatus) maps each to one
 * status code. Anything else that escapes a handler is reported as INTERNAL with a generic message.
 */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "UNAVAILABLE"
  | "ABORTED"
  | "DATA_LOSS"
  | "DEADLINE_EXCEEDED"
  | "RESOURCE_EXHAUSTED"
  | "CANCELLED";

/** Base of every error a BMI service throws on purpose; `message` is safe to show to the caller. */
export class BmiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(callerMessage(message), options);
    this.name = new.target.name;
  }
}

// The message reaches the caller in the grpc-message trailer, percent-encoded (up to 9 bytes a character). A
// request value echoed whole (a 64 KiB name) made a trailer past the 64 KiB header block Node's HTTP/2 sends: the
// server could not send the status, the call never ended, and calls after it on the same connection hung too (the
// fuzzer found it; the orchestrator's GetNode {node: ""} timed out behind one). grpc-js's encodeURI throws on a lone
// surrogate, which a cut through a surrogate pair (or a message built from anything but the wire) would leave.
const MAX_MESSAGE = 1024;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** At most about 1 KiB, its start and its end kept (the echoed value, then what was wrong with it), well-formed. */
function callerMessage(message: string): string {
  const m = message.length <= MAX_MESSAGE ? message
    : `${message.slice(0, 640)}…(${message.length - 960} characters left out)…${message.slice(-320)}`;
  return m.replace(LONE_SURROGATE, "\ufffd");
}

/** Thrown when a request field is malformed (bad name, MAC, size); nothing was changed. */
export class InvalidArgumentError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("INVALID_ARGUMENT", message, options); }
}
/** Thrown when a thing does not exist, or exists but the caller may not see it. */
export class NotFoundError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("NOT_FOUND", message, options); }
}
/** Thrown when a create would overwrite something that exists with different content. */
export class AlreadyExistsError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("ALREADY_EXISTS", message, options); }
}
/** Thrown when the state forbids the operation (image with dependents, node still allocated). */
export class FailedPreconditionError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("FAILED_PRECONDITION", message, options); }
}
/** Thrown when the caller is known but may not act on this project or node. */
export class PermissionDeniedError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("PERMISSION_DENIED", message, options); }
}
/** Thrown when credentials are missing or wrong. */
export class UnauthenticatedError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("UNAUTHENTICATED", message, options); }
}
/** Thrown when a dependency (tgtd, Ceph, HIL, Redis) is down or timed out: the caller may retry. */
export class UnavailableError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("UNAVAILABLE", message, options); }
}
/** Thrown when a concurrent action won (lock lost, HIL BlockedError after retries): retry the whole operation. */
export class AbortedError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("ABORTED", message, options); }
}
/** Thrown when received data does not match its checksum. */
export class DataLossError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("DATA_LOSS", message, options); }
}
/** Thrown when an operation ran out of its time budget. */
export class DeadlineExceededError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("DEADLINE_EXCEEDED", message, options); }
}
/** Thrown when a quota or capacity limit is reached. */
export class ResourceExhaustedError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("RESOURCE_EXHAUSTED", message, options); }
}
/** Thrown when the caller or an operator cancelled the operation. */
export class CancelledError extends BmiError {
  constructor(message: string, options?: { cause?: unknown }) { super("CANCELLED", message, options); }
}

/** True for errors worth retrying with backoff. */
export function isTransient(err: unknown): boolean {
  const code = err instanceof BmiError ? err.code : undefined;
  return code === "UNAVAILABLE" || code === "ABORTED" || code === "DEADLINE_EXCEEDED";
}

const BY_CODE: Record<ErrorCode, new (message: string, options?: { cause?: unknown }) => BmiError> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  NOT_FOUND: NotFoundError,
  ALREADY_EXISTS: AlreadyExistsError,
  FAILED_PRECONDITION: FailedPreconditionError,
  PERMISSION_DENIED: PermissionDeniedError,
  UNAUTHENTICATED: UnauthenticatedError,
  UNAVAILABLE: UnavailableError,
  ABORTED: AbortedError,
  DATA_LOSS: DataLossError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  CANCELLED: CancelledError,
};

/** True for the names of the closed set ("NOT_FOUND", ...), e.g. read back from a Redis script's error reply. */
export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(BY_CODE, value);
}

/** The domain error of `code`, for errors that crossed a process boundary as a code and a message. */
export function domainError(code: ErrorCode, message: string, options?: { cause?: unknown }): BmiError {
  return new BY_CODE[code](message, options);
}
