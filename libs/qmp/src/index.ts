import { createConnection, type Socket } from "node:net";
import { BmiError, FailedPreconditionError, ResourceExhaustedError, UnavailableError } from "@bmi/errors";

/** Thrown when QEMU answers a command with `{error: {class, desc}}`: QEMU is up and refused this command. */
export class QmpError extends Error {
  constructor(readonly command: string, readonly errorClass: string, readonly desc: string) {
    super(`${command}: ${desc}`);
    this.name = "QmpError";
  }
}

export interface QmpOptions {
  /** Time for the connection and QEMU's greeting (default 5 s). */
  connectTimeoutMs?: number;
  /** Time for each command's answer; none by default (a storage daemon's answers wait behind the ones before). */
  commandTimeoutMs?: number;
  /** Wraps each command, e.g. to time it in a metric. */
  observe?: <T>(command: string, run: () => Promise<T>) => Promise<T>;
}

interface Pending { resolve(value: unknown): void; reject(err: Error): void; command: string }
type EventListener = (event: string, data: Record<string, unknown>) => void;

/**
 * A QMP (QEMU Machine Protocol) session on a Unix socket: newline-delimited JSON, a greeting, capability
 * negotiation, then commands answered in order by id, and events passed to listeners. Several commands may be in
 * flight. The socket failing, closing, staying silent or sending something that is not JSON is UNAVAILABLE (QEMU
 * is down or stuck: a retry may find it back); QEMU refusing a command is a QmpError (see translateQmpError).
 */
export class QmpClient {
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<EventListener>();
  private greeted: Pending | undefined;
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket, private readonly path: string, private readonly opts: QmpOptions) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.receive(chunk));
    socket.on("error", (err) => this.fail(new UnavailableError(`QMP socket ${path}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    socket.on("close", () => this.fail(new UnavailableError(`QMP socket ${path} closed`)));
  }

  /** Connects, waits for the greeting and leaves negotiation mode. */
  static async connect(path: string, opts: QmpOptions = {}): Promise<QmpClient> {
    const client = new QmpClient(createConnection(path), path, opts);
    const timeoutMs = opts.connectTimeoutMs ?? 5000;
    try {
      await client.timed("greeting", timeoutMs, new Promise((resolve, reject) => (client.greeted = { resolve, reject, command: "greeting" })));
      await client.timed("qmp_capabilities", timeoutMs, client.send("qmp_capabilities"));
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** Runs one command and resolves with its `return`. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    const run = () => this.timed(command, this.opts.commandTimeoutMs, this.send(command, args)) as Promise<T>;
    return this.opts.observe ? this.opts.observe(command, run) : run();
  }

  /** Resolves on the first `event` for which `match` holds; register before causing the event. */
  waitEvent(event: string, match: (data: Record<string, unknown>) => boolean, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => { clearTimeout(timer); this.listeners.delete(listener); err ? reject(err) : resolve(); };
      const listener: EventListener = (name, data) => { if (name === event && match(data)) done(); };
      const timer = setTimeout(() => done(new UnavailableError(`QMP ${this.path}: no ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.listeners.add(listener);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private send(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = String(this.nextId++);
    const answer = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject, command }));
    this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    return answer.finally(() => this.pending.delete(id));
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line !== "") this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    let msg: { QMP?: unknown; event?: unknown; data?: unknown; id?: unknown; return?: unknown; error?: { class?: string; desc?: string } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      this.fail(new UnavailableError(`QMP socket ${this.path} sent something that is not JSON`));
      this.socket.destroy();
      return;
    }
    if (msg.QMP !== undefined) {
      this.greeted?.resolve(msg.QMP);
      this.greeted = undefined;
      return;
    }
    if (typeof msg.event === "string") {
      for (const l of [...this.listeners]) l(msg.event, (msg.data ?? {}) as Record<string, unknown>);
      return;
    }
    const waiter = typeof msg.id === "string" ? this.pending.get(msg.id) : undefined;
    if (!waiter) return; // an answer nobody waits for any more
    if (msg.error) waiter.reject(new QmpError(waiter.command, msg.error.class ?? "GenericError", msg.error.desc ?? "failed"));
    else waiter.resolve(msg.return);
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    this.greeted?.reject(err);
    this.greeted = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private timed<T>(what: string, timeoutMs: number | undefined, p: Promise<T>): Promise<T> {
    if (timeoutMs === undefined) return p;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`QMP ${what} on ${this.path}: no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

// QEMU's words when it ran out of something: file descriptors, memory, FUSE sessions (libfuse's thread keys).
const EXHAUSTED = /Failed to set up FUSE session|Too many open files|Cannot allocate memory|No space left on device|Disk quota exceeded/i;

/**
 * QMP's failures as domain errors, for the caller to throw: QEMU out of a resource (file descriptors, memory, FUSE
 * sessions, space) is RESOURCE_EXHAUSTED; any other refusal is FAILED_PRECONDITION (the VM or daemon is in a state
 * where the command cannot work); both carry QEMU's description. A socket that failed, closed or stayed silent is
 * UNAVAILABLE already. Anything else is returned as it is.
 */
export function translateQmpError(err: unknown): unknown {
  if (err instanceof BmiError || !(err instanceof QmpError)) return err;
  if (EXHAUSTED.test(err.desc)) return new ResourceExhaustedError(`QEMU ${err.command}: ${err.desc}`, { cause: err });
  return new FailedPreconditionError(`QEMU: ${err.desc}`, { cause: err });
}
