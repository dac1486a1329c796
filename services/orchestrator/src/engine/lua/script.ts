import { createHash } from "node:crypto";
import type { Redis } from "@bmi/redis";
import {
  AbortedError, AlreadyExistsError, BmiError, FailedPreconditionError, InvalidArgumentError, NotFoundError,
  UnavailableError, type ErrorCode,
} from "@bmi/errors";

const ERRORS: Partial<Record<ErrorCode, new (m: string) => BmiError>> = {
  ALREADY_EXISTS: AlreadyExistsError,
  FAILED_PRECONDITION: FailedPreconditionError,
  INVALID_ARGUMENT: InvalidArgumentError,
  NOT_FOUND: NotFoundError,
  ABORTED: AbortedError,
};

/** A Lua script run by its SHA (loaded on first NOSCRIPT); error replies "CODE message" become domain errors. */
export class Script {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(redis: Redis, args: Array<string | number>): Promise<unknown> {
    try {
      try {
        return await redis.evalsha(this.sha, 0, ...args);
      } catch (err) {
        if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
        return await redis.eval(this.lua, 0, ...args);
      }
    } catch (err) {
      throw toDomainError(err);
    }
  }
}

function toDomainError(err: unknown): Error {
  const message = String((err as Error).message ?? err);
  const m = /^([A-Z_]+) (.*)$/s.exec(message);
  const Ctor = m ? ERRORS[m[1] as ErrorCode] : undefined;
  if (Ctor && m) return new Ctor(m[2] ?? "");
  // A script bug is not worth retrying; Redis going away is.
  if (message.startsWith("ERR")) return new Error(`redis script: ${message}`, { cause: err });
  return new UnavailableError(`redis: ${message}`, { cause: err });
}
