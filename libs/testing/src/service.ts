import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { guarded } from "./die-with-test";
import { waitServing } from "./health";
import { readFileSync } from "node:fs";
import { testPki } from "./pki";
import { freePort } from "./ports";

/** Root of the repository (libs/testing/dist/ -> ../../..). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface RunningService {
  name: string;
  address: string;
  pid: number;
  process: ChildProcess;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL at once (crash tests). */
  kill(): Promise<void>;
  /** The CA file clients trust to reach it; undefined when it serves plaintext (BMI_TLS=off). */
  ca: string | undefined;
  /** The other host:port settings startServiceOnFreePort chose (a metrics port), by variable. */
  ports?: Record<string, string>;
}

export interface StartOptions {
  /** The service's name, e.g. "image-service": its log file and the test certificate it serves with. */
  service: string;
  /** Its built program (services/<name>/dist/main.js): the caller says where; a lib never looks up a service's files. */
  main: string;
  /** host:port the service listens on (also passed as its *_LISTEN variable by the caller through env). */
  address: string;
  env?: Record<string, string>;
  logDir?: string;
  /** How long it may take to answer SERVING (default 90 s: a restart's reconcile takes over 30 s on a machine at load 19). */
  timeoutMs?: number;
  /** A network namespace (`ip netns` name) the service runs in; `address` must be one of that namespace's. */
  netns?: string;
}

/** Starts a BMI service as its own process (`opts.main`) and waits until it answers SERVING. */
export async function startService(opts: StartOptions): Promise<RunningService> {
  const logDir = opts.logDir ?? path.join(REPO_ROOT, ".run", "test-logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${opts.service}-${process.pid}-${Date.now()}.log`);
  const out = createWriteStream(logFile);
  // Mutual TLS with the test PKI's certificate of this service, unless the test asks for plaintext.
  const tls = opts.env?.BMI_TLS === "off" ? {} : testPki().env(opts.service);
  const ca = tls.BMI_TLS_CA;
  // guarded: the service dies with the test process, and so does what it starts (die-with-test.ts). nsenter and
  // setpriv exec node in turn: the child's PID is the service's own, so stop() and kill() reach it.
  const node = guarded(process.execPath, [opts.main]);
  const [cmd, argv] = opts.netns ? ["nsenter", [`--net=/run/netns/${opts.netns}`, node[0], ...node[1]]] : node;
  const child = spawn(cmd, argv, {
    env: { ...process.env, BMI_LOG_LEVEL: "info", ...tls, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => { exited = true; resolve(code); }));
  const stop = async (graceMs = 15_000) => {
    if (!exited) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exit;
      clearTimeout(t);
      return code;
    }
    return exit;
  };
  try {
    await waitServing(opts.address, opts.timeoutMs ?? 90_000, () => !exited, opts.env?.BMI_TLS_CA ?? ca);
  } catch (err) {
    await stop(2000);
    throw new Error(`${opts.service}: ${(err as Error).message}; log: ${logFile}`);
  }
  return {
    name: opts.service, address: opts.address, pid: child.pid ?? -1, process: child, logFile, stop, ca: opts.env?.BMI_TLS_CA ?? ca,
    kill: async () => { if (!exited) { child.kill("SIGKILL"); await exit; } },
  };
}

/**
 * startService on a free 127.0.0.1 port given to it as `listenVar`. A port free a moment ago may be taken by the
 * time the service binds it (test files run side by side, each starting services): then it tries another port.
 * Each of `portVars` (a metrics listen address) gets a free port too, chosen anew on every attempt.
 */
export async function startServiceOnFreePort(
  opts: Omit<StartOptions, "address">, listenVar: string, portVars: string[] = [],
): Promise<RunningService> {
  for (let attempt = 1; ; attempt++) {
    const address = `127.0.0.1:${await freePort()}`;
    const ports: Record<string, string> = {};
    for (const v of portVars) ports[v] = `127.0.0.1:${await freePort()}`;
    try {
      return { ...await startService({ ...opts, address, env: { ...opts.env, ...ports, [listenVar]: address } }), ports };
    } catch (err) {
      const log = /log: (\S+)$/.exec((err as Error).message)?.[1];
      const taken = log !== undefined && /EADDRINUSE/.test(readFileSync(log, "utf8"));
      if (!taken || attempt >= 3) throw err;
    }
  }
}
