import { readFileSync } from "node:fs";
import type { CliEnv } from "./config";
import type { BmiContext } from "./config-file";
import { UsageError } from "./exit-codes";

type Str = (k: string) => string | undefined;

/** A secret's first line, from a file or (`-`) standard input; never echoed in an error. */
export function secretFile(file: string, what: string): string {
  return firstLine(file, what);
}

function firstLine(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${what} from ${file === "-" ? "standard input" : file}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  const line = text.split(/\r?\n/)[0] ?? "";
  if (!line) throw new UsageError(`${what} from ${file === "-" ? "standard input" : file} is empty`);
  return line;
}

/**
 * The authorization header: flags first (--token, --token-file; --user with --password, --password-file or
 * --password-stdin), then the environment, then the context. A token wins over a user at the same level.
 */
export function authorization(str: Str, stdin: boolean, env: CliEnv, c: BmiContext): string | undefined {
  const token = str("token") ?? (str("token-file") ? firstLine(str("token-file")!, "token") : undefined)
    ?? (env.token || (env.tokenFile ? firstLine(env.tokenFile, "token") : undefined))
    ?? (str("user") || env.user ? undefined : c["token-file"] ? firstLine(c["token-file"], "token") : undefined);
  if (token) return `Bearer ${token}`;
  const user = str("user") ?? (env.user || c.user);
  if (!user) return undefined;
  const password = str("password") ?? (stdin ? firstLine("-", "password") : undefined)
    ?? (str("password-file") ? firstLine(str("password-file")!, "password") : undefined)
    ?? (env.password || (env.passwordFile ? firstLine(env.passwordFile, "password") : undefined))
    ?? (c["password-file"] ? firstLine(c["password-file"], "password") : "");
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
