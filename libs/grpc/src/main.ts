import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { createLogger, type Logger } from "@bmi/log";
import { identifyProcess, serveMetrics } from "@bmi/metrics";
import { startTracing } from "@bmi/tracing";
import type { AuditSink } from "./audit";
import { authFromConfig } from "./auth";
import { createServer, exitOnSignals, type BmiServer } from "./server";
import type { TlsFiles, Transport } from "./tls";

export interface ServerSettings {
  listen: string;
  /** host:port of the Prometheus endpoint; empty or absent: none. */
  metricsListen?: string;
  /** OTLP/HTTP traces URL; empty or absent: no traces. */
  otlpEndpoint?: string;
  logLevel: string;
  auth: "none" | "static";
  authFile: string;
  tls: "mutual" | "off";
  tlsCa: string;
  tlsCert: string;
  tlsKey: string;
  shutdownGraceMs: number;
  defaultDeadlineMs: number;
}

/** The server side of a service's TLS settings. */
export function transportOf(s: Pick<ServerSettings, "tls" | "tlsCa" | "tlsCert" | "tlsKey">): Transport {
  return s.tls === "mutual" ? { tls: true, files: { ca: s.tlsCa, cert: s.tlsCert, key: s.tlsKey } } : { tls: false };
}

/** The client side: a service calls others with its own certificate, which is its identity to them. */
export function clientTlsOf(s: Pick<ServerSettings, "tls" | "tlsCa" | "tlsCert" | "tlsKey">): TlsFiles | undefined {
  return s.tls === "mutual" ? { ca: s.tlsCa, cert: s.tlsCert, key: s.tlsKey } : undefined;
}

/** The identity a certificate file carries (its subject's common name). */
export function certificateIdentity(file: string): string {
  const subject = new X509Certificate(readFileSync(file)).subject;
  return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1] ?? "";
}

/** An audit sink a service opens at start-up and closes after its last call (@bmi/events' AuditTrail). */
export type AuditFactory = (log: Logger) => AuditSink & { close(): Promise<void> };

/**
 * The start-up every service shares: logger, server, the service's own wiring, listen, and SIGTERM handling.
 * `wire` registers handlers and shutdown hooks; if it throws (a dependency unreachable at start), the process
 * logs why and exits 1 so a supervisor restarts it. With `audit`, every mutating call is recorded there.
 */
export async function runService(
  name: string, settings: ServerSettings, wire: (server: BmiServer, log: Logger) => Promise<unknown>, audit?: AuditFactory,
): Promise<BmiServer> {
  const log = createLogger({ name, level: settings.logLevel });
  const transport = transportOf(settings);
  const sink = audit?.(log);
  const server = createServer({
    name, log, auth: authFromConfig(settings), transport,
    shutdownGraceMs: settings.shutdownGraceMs, defaultDeadlineMs: settings.defaultDeadlineMs, ...(sink ? { audit: sink } : {}),
  });
  // Registered first, so it runs last: after the calls that drained and the service's own shutdown hooks.
  if (sink) server.onShutdown(() => sink.close());
  startTraces(name, settings, server);
  exitOnSignals(server, log);
  try {
    await wire(server, log);
    await startMetrics(name, settings, server, log);
    await server.listen(settings.listen);
  } catch (err) {
    log.fatal({ err }, "start-up failed");
    await server.shutdown().catch(() => undefined);
    process.exit(1);
  }
  announce(name, settings, log);
  return server;
}

/** Names this process's series and, with BMI_<SVC>_METRICS_LISTEN set, serves them until the server stops. */
export async function startMetrics(name: string, settings: Pick<ServerSettings, "metricsListen">, server: BmiServer, log: Logger): Promise<void> {
  identifyProcess(name);
  if (!settings.metricsListen) return;
  const endpoint = await serveMetrics(settings.metricsListen);
  server.onShutdown(() => endpoint.close());
  log.info({ metrics: settings.metricsListen, port: endpoint.port }, "serving metrics at /metrics");
}

/**
 * With BMI_OTLP_ENDPOINT set, exports this process's spans there. Call it before the service's own shutdown
 * hooks are registered: it runs after them, and sends the spans of the last calls.
 */
export function startTraces(name: string, settings: Pick<ServerSettings, "otlpEndpoint">, server: BmiServer): void {
  if (!settings.otlpEndpoint) return;
  const tracing = startTracing(name, settings.otlpEndpoint);
  server.onShutdown(() => tracing.shutdown());
}

/** What this process is, in one line: operators check it before anything else. */
export function announce(name: string, settings: ServerSettings, log: Logger): void {
  log.info({
    listen: settings.listen, auth: settings.auth, tls: settings.tls,
    identity: settings.tls === "mutual" ? certificateIdentity(settings.tlsCert) : "none (plaintext)",
  }, `${name} started: auth ${settings.auth}, tls ${settings.tls}`);
  if (settings.auth === "none") log.warn("BMI_AUTH=none: every caller is an admin (a single-operator lab on loopback only)");
}
