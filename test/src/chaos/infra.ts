import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { freePort, guarded } from "@bmi/testing";

/** A daemon of the chaos run's own (Redis, NATS) on a free port, stopped and started again on the same port and data. */
export interface Daemon {
  url: string;
  /** Stops it: SIGTERM (Redis writes its AOF, NATS its JetStream store), SIGKILL after 10 s. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function daemon(name: string, cmd: string, args: string[], url: string, ready: () => Promise<boolean>): Promise<Daemon> {
  let child: ChildProcess | undefined;
  const start = async () => {
    // guarded: the daemon dies with this process, whatever happens to it.
    const c = spawn(...guarded(cmd, args), { stdio: "ignore" });
    child = c;
    const until = Date.now() + 15_000;
    while (!(await ready())) {
      if (c.exitCode !== null || Date.now() > until) throw new Error(`${name} did not start (${cmd} ${args.join(" ")})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    const t = setTimeout(() => c.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(t);
  };
  await start();
  return { url, stop, start };
}

/** redis-server with an append-only file (fsync every write) in `dir`, on a free port: a restart keeps every key. */
export async function privateRedis(dir: string): Promise<Daemon> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always",
    "--save", "", "--protected-mode", "no"];
  return daemon("redis-server", "redis-server", args, `redis://127.0.0.1:${port}`, () => ping(port, "PING\r\n", "+PONG"));
}

/** nats-server with JetStream stored in `dir`, on a free port. */
export async function privateNats(dir: string): Promise<Daemon> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir];
  return daemon("nats-server", "nats-server", args, `nats://127.0.0.1:${port}`, () => ping(port, "PING\r\n", "INFO"));
}

/** Whether a line protocol answers `expect` to `send` on 127.0.0.1:port. */
async function ping(port: number, send: string, expect: string): Promise<boolean> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let got = "";
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(1000, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write(send));
    sock.on("data", (d) => { got += d.toString(); if (got.includes(expect)) done(true); });
  });
}

