import { constants } from "node:os";
import { BmiError, type ErrorCode } from "@bmi/errors";

/**
 * Exit codes scripts can rely on:
 *   0 done; 1 the operation ran and failed (a job ended FAILED or CANCELLED, an internal error);
 *   2 bad usage or invalid argument (a local file that cannot be read or written included); 3 not found;
 *   4 conflict (exists, busy, wrong state: fix and retry); 5 not authenticated or not allowed;
 *   6 a service is unavailable or timed out (retry later); 128 + N stopped by signal N (130: Ctrl-C).
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

/** A failure the CLI itself reports (not a service's): its name in the --json error object and its exit code. */
export class CliError extends Error {
  constructor(readonly code: string, readonly exit: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown for a wrong command line: the message and exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) { super("USAGE", EXIT.USAGE, message); }
}

/** Thrown when the operation ran and failed (job FAILED): the message and exit code 1. */
export class OperationFailed extends CliError {
  constructor(message: string) { super("FAILED", EXIT.FAILED, message); }
}

/**
 * Thrown by a command that a signal (Ctrl-C) stopped, once it has cancelled its calls and removed its temporary
 * files; the message says what was left behind. Exit 128 + the signal's number, as a shell reports it.
 */
export class Interrupted extends CliError {
  constructor(readonly signal: NodeJS.Signals, message: string) {
    super("INTERRUPTED", 128 + constants.signals[signal], message);
  }
}

/** The error to throw instead of `err` once `signal` was aborted by Ctrl-C: same exit code, `message` says what is left. */
export function interruption(signal: AbortSignal, message: string): Interrupted | undefined {
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof Interrupted ? new Interrupted(reason.signal, message) : undefined;
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exit;
  if (err instanceof BmiError) return BY_CODE[err.code] ?? EXIT.FAILED;
  return EXIT.FAILED;
}

/** The `code` of the --json error object: a gRPC-style code from a service, or the CLI's own. */
export function errorCodeOf(err: unknown): string {
  if (err instanceof CliError || err instanceof BmiError) return err.code;
  return "INTERNAL";
}
