import { createConnection, type Socket } from "node:net";
import { FailedPreconditionError, UnavailableError } from "@bmi/errors";

interface Pending { resolve(value: unknown): void; reject(err: Error): void }

/**
 * A QMP (QEMU Machine Protocol) session over a unix socket: newline-delimited JSON, a greeting, capability
 * negotiation, then commands answered in order by id. Asynchronous events are ignored.
 */
export class QmpClient {
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private greeted: Pending | undefined;
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket, private readonly path: string, private readonly timeoutMs: number) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.receive(chunk));
    socket.on("error", (err) => this.fail(new UnavailableError(`QMP socket ${path}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    socket.on("close", () => this.fail(new UnavailableError(`QMP socket ${path} closed`)));
  }

  /** Connects, waits for the greeting and leaves negotiation mode. */
  static async connect(path: string, timeoutMs: number): Promise<QmpClient> {
    const client = new QmpClient(createConnection(path), path, timeoutMs);
    try {
      await client.timed("greeting", new Promise((resolve, reject) => (client.greeted = { resolve, reject })));
      await client.execute("qmp_capabilities");
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** Runs one command; QMP's `{error: {class, desc}}` becomes FAILED_PRECONDITION with QEMU's description. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = String(this.nextId++);
    const answer = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    return this.timed(command, answer).finally(() => this.pending.delete(id));
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line !== "") this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    let msg: { QMP?: unknown; id?: unknown; return?: unknown; error?: { class?: string; desc?: string } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return this.fail(new UnavailableError(`QMP socket ${this.path} sent something that is not JSON`));
    }
    if (msg.QMP !== undefined) {
      this.greeted?.resolve(msg.QMP);
      this.greeted = undefined;
      return;
    }
    const waiter = typeof msg.id === "string" ? this.pending.get(msg.id) : undefined;
    if (!waiter) return; // an event, or an answer nobody waits for any more
    if (msg.error) waiter.reject(new FailedPreconditionError(`QEMU: ${msg.error.desc ?? msg.error.class ?? "error"}`));
    else waiter.resolve(msg.return);
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    this.greeted?.reject(err);
    this.greeted = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private timed<T>(what: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`QMP ${what} on ${this.path}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}
