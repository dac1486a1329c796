import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import {
  AbortedError, AlreadyExistsError, BmiError, CancelledError, DataLossError, DeadlineExceededError,
  FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError, ResourceExhaustedError,
  UnauthenticatedError, UnavailableError, type ErrorCode,
} from "@bmi/errors";

// The one place domain errors become gRPC status codes (and back, for errors coming from another service).
const TO_GRPC: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  UNAVAILABLE: status.UNAVAILABLE,
  ABORTED: status.ABORTED,
  DATA_LOSS: status.DATA_LOSS,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  CANCELLED: status.CANCELLED,
};

const FROM_GRPC: Partial<Record<status, new (m: string, o?: { cause?: unknown }) => BmiError>> = {
  [status.INVALID_ARGUMENT]: InvalidArgumentError,
  [status.NOT_FOUND]: NotFoundError,
  [status.ALREADY_EXISTS]: AlreadyExistsError,
  [status.FAILED_PRECONDITION]: FailedPreconditionError,
  [status.PERMISSION_DENIED]: PermissionDeniedError,
  [status.UNAUTHENTICATED]: UnauthenticatedError,
  [status.UNAVAILABLE]: UnavailableError,
  [status.ABORTED]: AbortedError,
  [status.DATA_LOSS]: DataLossError,
  [status.DEADLINE_EXCEEDED]: DeadlineExceededError,
  [status.RESOURCE_EXHAUSTED]: ResourceExhaustedError,
  [status.CANCELLED]: CancelledError,
};

export interface StatusObject {
  code: status;
  details: string;
  /** True when the error was not a deliberate one: the full error must be logged. */
  unexpected: boolean;
}

/** Maps anything thrown by a handler to the status the caller sees; unexpected errors become a generic INTERNAL. */
export function toStatus(err: unknown): StatusObject {
  if (err instanceof BmiError) return { code: TO_GRPC[err.code], details: err.message, unexpected: false };
  if (isServiceError(err)) return { code: err.code, details: err.details, unexpected: false };
  return { code: status.INTERNAL, details: "internal error", unexpected: true };
}

/** Turns an error from a downstream gRPC call into the matching domain error, keeping the message. */
export function fromServiceError(err: ServiceError, service: string): Error {
  const Ctor = FROM_GRPC[err.code];
  if (Ctor) return new Ctor(err.details || err.message, { cause: err });
  return new UnavailableError(`${service}: ${status[err.code] ?? err.code}: ${err.details || err.message}`, { cause: err });
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" &&
    (err as Partial<ServiceError>).metadata instanceof Metadata;
}
