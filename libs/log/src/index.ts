import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a log object: CHAP secrets, passwords, tokens and the raw
 * authorization header never reach a log line.
 */
export const REDACT = [
  "secret", "*.secret", "*.*.secret", "chap.secret", "*.chap.secret",
  "password", "*.password", "*.*.password",
  "token", "*.token",
  "authorization", "*.authorization", "headers.authorization",
];

/** One JSON logger per process; `name` is the service. */
export function createLogger(opts: { name: string; level?: string }): Logger {
  return pino({
    name: opts.name,
    level: opts.level ?? "info",
    redact: { paths: REDACT, censor: "[redacted]" },
    base: { service: opts.name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" rather than 30: what log shippers and people grep for without pino's number table.
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that drops everything, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
