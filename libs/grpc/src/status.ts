import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { BmiError, UnavailableError, domainError, type ErrorCode } from "@bmi/errors";

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

const FROM_GRPC: Partial<Record<status, ErrorCode>> = Object.fromEntries(
  Object.entries(TO_GRPC).map(([code, grpcCode]) => [grpcCode, code as ErrorCode]),
);
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
  const code = FROM_GRPC[err.code];
  if (code) return domainError(code, err.details || err.message, { cause: err });
  return new UnavailableError(`${service}: ${status[err.code] ?? err.code}: ${err.details || err.message}`, { cause: err });
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" &&
    (err as Partial<ServiceError>).metadata instanceof Metadata;
}
