import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "@bmi/log";
import type { AuditSink } from "./audit";
import type { Authenticator } from "./auth";
import type { AccessTable } from "./policy";
import { serverCredentials, type Transport } from "./tls";
import type { Handlers, MethodDefinitionLike } from "./handlers";
import { wrapMethod, type CallRunner } from "./wrap";
import { lenientDecoding } from "./decode";
import { addReflection } from "./reflection";

export interface ServerOptions {
  /** The service's name in logs. */
  name: string;
  log: Logger;
  auth: Authenticator;
  /** Mutual TLS (the default of every service) or plaintext; plaintext when omitted (in-process tests). */
  transport?: Transport;
  /** How long in-flight calls may run after SIGTERM before they are cut off. */
  shutdownGraceMs?: number;
  /** Deadline applied to calls that come without one. */
  defaultDeadlineMs?: number;
  /** Every mutating call (not Get*, List*, Watch*, Render*, Download*), accepted or refused, is recorded here. */
  audit?: AuditSink;
}

type Hook = () => Promise<void> | void;

/** A gRPC server with health, reflection, logging/auth/deadline interceptors and graceful shutdown. */
export class BmiServer {
  readonly grpc = new grpc.Server({ "grpc.max_receive_message_length": 16 * 1024 * 1024 });
  private readonly health = new HealthImplementation({ "": "NOT_SERVING" });
  private readonly services: string[] = [];
  private readonly hooks: Hook[] = [];
  private readonly runner: CallRunner;
  private stopping: Promise<void> | undefined;
  private reported: boolean | undefined;

  private readonly transport: Transport;

  constructor(private readonly opts: ServerOptions) {
    this.transport = opts.transport ?? { tls: false };
    this.health.addToServer(this.grpc);
    this.runner = { log: opts.log, auth: opts.auth, defaultDeadlineMs: opts.defaultDeadlineMs ?? 120_000,
      ...(opts.audit ? { audit: opts.audit, name: opts.name } : {}) };
  }

  /** Registers a ts-proto service definition with plain async handlers and who may call each method. */
  add<D extends Record<string, MethodDefinitionLike>>(definition: D, handlers: Handlers<D>, access: AccessTable<D>): void {
    const impl: grpc.UntypedServiceImplementation = {};
    let service = "";
    for (const [key, def] of Object.entries(definition)) {
      const handler = (handlers as Record<string, unknown>)[key];
      if (typeof handler !== "function") throw new Error(`${def.path}: no handler`);
      const rule = (access as Record<string, AccessTable<D>[keyof D] | undefined>)[key];
      if (rule === undefined) throw new Error(`${def.path}: no access rule`);
      impl[key] = wrapMethod(def, handler as (...a: never[]) => unknown, rule, this.runner);
      service = def.path.split("/")[1] ?? "";
    }
    this.grpc.addService(lenientDecoding(definition) as unknown as grpc.ServiceDefinition, impl);
    this.services.push(service);
    this.health.setStatus(service, "NOT_SERVING");
  }

  /** Binds and starts serving; answers the bound port (use port 0 in tests). */
  async listen(address: string): Promise<number> {
    // Reflection lists only what this server serves, though the descriptor set describes every BMI service.
    addReflection(this.grpc, this.services);
    const port = await new Promise<number>((resolve, reject) =>
      this.grpc.bindAsync(address, serverCredentials(this.transport), (err, p) => (err ? reject(err) : resolve(p))),
    );
    // A dependency already reported down during wiring (a store refused at start-up) keeps the server NOT_SERVING.
    this.setServing(this.reported ?? true);
    this.opts.log.info({ address, port, services: this.services, tls: this.transport.tls ? "mutual" : "off" }, "serving");
    return port;
  }

  /** Health of the whole server and each service; false while a dependency is down or while stopping. */
  setServing(serving: boolean): void {
    this.reported = serving;
    const s = serving && !this.stopping ? "SERVING" : "NOT_SERVING";
    this.health.setStatus("", s);
    for (const name of this.services) this.health.setStatus(name, s);
  }

  /** Runs after in-flight calls have drained (or the grace period ran out), in reverse order of registration. */
  onShutdown(hook: Hook): void {
    this.hooks.unshift(hook);
  }

  /** NOT_SERVING, stop accepting calls, let in-flight calls finish within the grace period, close everything. */
  shutdown(): Promise<void> {
    if (!this.stopping) {
      this.setServing(false);
      this.stopping = this.drain();
      this.setServing(false);
    }
    return this.stopping;
  }

  private async drain(): Promise<void> {
    const grace = this.opts.shutdownGraceMs ?? 10_000;
    const log = this.opts.log;
    log.info({ graceMs: grace }, "shutting down: draining in-flight calls");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        log.warn("grace period over: cancelling the calls still running");
        this.grpc.forceShutdown();
        resolve();
      }, grace);
      this.grpc.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const hook of this.hooks) {
      try {
        await hook();
      } catch (err) {
        log.error({ err }, "shutdown hook failed");
      }
    }
    log.info("stopped");
  }
}

export function createServer(opts: ServerOptions): BmiServer {
  return new BmiServer(opts);
}

/** SIGTERM/SIGINT: graceful shutdown, then exit 0 (1 if shutting down failed). For main.ts. */
export function exitOnSignals(server: BmiServer, log: Logger): void {
  const stop = (signal: string) => {
    log.info({ signal }, "signal received");
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}
