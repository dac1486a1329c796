import net from "node:net";
import { timed } from "@bmi/metrics";
import { backendSeconds } from "./backend-metrics";

/** Thrown when QEMU answers a QMP command with an error. */
export class QmpError extends Error {
  constructor(readonly command: string, readonly errorClass: string, desc: string) {
    super(`${command}: ${desc}`);
    this.name = "QmpError";
  }
}

type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void; command: string };
type EventListener = (event: string, data: Record<string, unknown>) => void;

/**
 * A QMP client on a Unix socket: newline-delimited JSON, commands matched to answers by id, events passed to
 * listeners. Several commands may be in flight; QEMU answers them in order.
 */
export class Qmp {
  private buffer = "";
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private readonly listeners = new Set<EventListener>();
  private closed: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => this.receive(text));
    socket.on("close", () => this.fail(new Error("QMP connection closed")));
    socket.on("error", (err) => this.fail(err));
  }

  /** Connects, waits for the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = 5000): Promise<Qmp> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(path);
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`QMP ${path}: no connection after ${timeoutMs} ms`)); }, timeoutMs);
      s.once("connect", () => { clearTimeout(timer); resolve(s); });
      s.once("error", (err) => { clearTimeout(timer); reject(err); });
    });
    const qmp = new Qmp(socket);
    await qmp.execute("qmp_capabilities");
    return qmp;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return timed(backendSeconds, { backend: "storage-daemon", op: command }, () => new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { resolve: resolve as (v: unknown) => void, reject, command });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    }));
  }

  /** Resolves with the data of the first `event` for which `match` holds; register before causing the event. */
  waitEvent(event: string, match: (data: Record<string, unknown>) => boolean, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => { clearTimeout(timer); this.listeners.delete(listener); err ? reject(err) : resolve(); };
      const listener: EventListener = (name, data) => { if (name === event && match(data)) done(); };
      const timer = setTimeout(() => done(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.listeners.add(listener);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(text: string): void {
    this.buffer += text;
    for (let i = this.buffer.indexOf("\n"); i >= 0; i = this.buffer.indexOf("\n")) {
      const line = this.buffer.slice(0, i).trim();
      this.buffer = this.buffer.slice(i + 1);
      if (line) this.dispatch(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private dispatch(msg: Record<string, unknown>): void {
    if (typeof msg.event === "string") {
      for (const l of [...this.listeners]) l(msg.event, (msg.data ?? {}) as Record<string, unknown>);
      return;
    }
    const waiter = typeof msg.id === "number" ? this.waiters.get(msg.id) : undefined;
    if (!waiter) return; // the greeting
    this.waiters.delete(msg.id as number);
    const error = msg.error as { class?: string; desc?: string } | undefined;
    if (error) waiter.reject(new QmpError(waiter.command, error.class ?? "GenericError", error.desc ?? "failed"));
    else waiter.resolve(msg.return);
  }

  private fail(err: Error): void {
    this.closed ??= err;
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
  }
}
