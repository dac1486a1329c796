import { BmiError, type ErrorCode } from "@bmi/errors";

/**
 * Exit codes scripts can rely on:
 *   0 done; 1 the operation ran and failed (a job ended FAILED or CANCELLED, an internal error);
 *   2 bad usage or invalid argument; 3 not found; 4 conflict (exists, busy, wrong state: fix and retry);
 *   5 not authenticated or not allowed; 6 a service is unavailable or timed out (retry later).
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, NOT_FOUND: 3, CONFLICT: 4, DENIED: 5, UNAVAILABLE: 6 } as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: EXIT.USAGE,
  NOT_FOUND: EXIT.NOT_FOUND,
  ALREADY_EXISTS: EXIT.CONFLICT,
  FAILED_PRECONDITION: EXIT.CONFLICT,
  ABORTED: EXIT.CONFLICT,
  RESOURCE_EXHAUSTED: EXIT.CONFLICT,
  PERMISSION_DENIED: EXIT.DENIED,
  UNAUTHENTICATED: EXIT.DENIED,
  UNAVAILABLE: EXIT.UNAVAILABLE,
  DEADLINE_EXCEEDED: EXIT.UNAVAILABLE,
  DATA_LOSS: EXIT.FAILED,
  CANCELLED: EXIT.FAILED,
};

/** Thrown for a wrong command line: the message and exit code 2. */
export class UsageError extends Error {}

/** Thrown when the operation ran and failed (job FAILED): the message and exit code 1. */
export class OperationFailed extends Error {}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (err instanceof OperationFailed) return EXIT.FAILED;
  if (err instanceof BmiError) return BY_CODE[err.code] ?? EXIT.FAILED;
  return EXIT.FAILED;
}
