import { evalLua, type Redis } from "@bmi/redis";
import { UnavailableError, domainError, isErrorCode, type ErrorCode } from "@bmi/errors";

// Scripts may refuse with these codes only: anything else in "CODE message" form is a script bug.
const SCRIPT_CODES = new Set<ErrorCode>(["ALREADY_EXISTS", "FAILED_PRECONDITION", "INVALID_ARGUMENT", "NOT_FOUND", "ABORTED", "RESOURCE_EXHAUSTED"]);
/**
 * A Lua script run by its SHA (EVALSHA: only the digest travels; the text is sent once, on the first NOSCRIPT);
 * error replies "CODE message" become domain errors, Redis going away UNAVAILABLE.
 */
export class Script {
  constructor(private readonly lua: string) {}

  /** `args` start with the script's `numKeys` KEYS (0 for the engine's scripts, which derive keys from a prefix). */
  async run(redis: Redis, args: Array<string | number>, numKeys = 0): Promise<unknown> {
    try {
      return await evalLua(redis, this.lua, numKeys, ...args);
    } catch (err) {
      throw translateScriptError(err);
    }
  }
}

/** A script's error reply ("CODE message") or Redis' own failure, as a domain error. */
function translateScriptError(err: unknown): Error {
  const message = String((err as Error).message ?? err);
  const m = /^([A-Z_]+) (.*)$/s.exec(message);
  const code = m?.[1];
  if (code && isErrorCode(code) && SCRIPT_CODES.has(code)) return domainError(code, m?.[2] ?? "");
  // A script bug is not worth retrying; Redis going away is.
  if (message.startsWith("ERR")) return new Error(`redis script: ${message}`, { cause: err });
  return new UnavailableError(`redis: ${message}`, { cause: err });
}
