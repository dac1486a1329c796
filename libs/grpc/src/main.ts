import { createLogger, type Logger } from "@bmi/log";
import { authFromConfig } from "./auth";
import { createServer, exitOnSignals, type BmiServer } from "./server";

export interface ServerSettings {
  listen: string;
  logLevel: string;
  auth: "none" | "static";
  authFile: string;
  shutdownGraceMs: number;
  defaultDeadlineMs: number;
}

/**
 * The start-up every service shares: logger, server, the service's own wiring, listen, and SIGTERM handling.
 * `wire` registers handlers and shutdown hooks; if it throws (a dependency unreachable at start), the process
 * logs why and exits 1 so a supervisor restarts it.
 */
export async function runService(
  name: string, settings: ServerSettings, wire: (server: BmiServer, log: Logger) => Promise<void>,
): Promise<BmiServer> {
  const log = createLogger({ name, level: settings.logLevel });
  const server = createServer({
    name, log, auth: authFromConfig(settings),
    shutdownGraceMs: settings.shutdownGraceMs, defaultDeadlineMs: settings.defaultDeadlineMs,
  });
  exitOnSignals(server, log);
  try {
    await wire(server, log);
    await server.listen(settings.listen);
  } catch (err) {
    log.fatal({ err }, "start-up failed");
    await server.shutdown().catch(() => undefined);
    process.exit(1);
  }
  return server;
}
