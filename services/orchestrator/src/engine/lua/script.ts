import { createHash } from "node:crypto";
import type { Redis } from "@bmi/redis";
import { UnavailableError, domainError, isErrorCode, type ErrorCode } from "@bmi/errors";

// Scripts may refuse with these codes only: anything else in "CODE message" form is a script bug.
const SCRIPT_CODES = new Set<ErrorCode>(["ALREADY_EXISTS", "FAILED_PRECONDITION", "INVALID_ARGUMENT", "NOT_FOUND", "ABORTED", "RESOURCE_EXHAUSTED"]);
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
  const code = m?.[1];
  if (code && isErrorCode(code) && SCRIPT_CODES.has(code)) return domainError(code, m?.[2] ?? "");
  // A script bug is not worth retrying; Redis going away is.
  if (message.startsWith("ERR")) return new Error(`redis script: ${message}`, { cause: err });
  return new UnavailableError(`redis: ${message}`, { cause: err });
}
