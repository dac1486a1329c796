import type { ParseArgsConfig } from "node:util";
import { createClient, type CallOpts, type PromiseClient } from "@bmi/grpc";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { CliEnv } from "./config";
import { UsageError } from "./exit-codes";
import type { Output } from "./output";

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Flags every command takes. */
export const GLOBAL_OPTIONS: Options = {
  addr: { type: "string" },
  "image-addr": { type: "string" },
  project: { type: "string", short: "p" },
  user: { type: "string" },
  password: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  timeout: { type: "string" },
  ca: { type: "string" },
  plaintext: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export interface Ctx {
  out: Output;
  orch: PromiseClient<OrchestratorClient>;
  image: PromiseClient<ImageServiceClient>;
  /** Options for a unary call: credentials and the --timeout deadline. */
  call: CallOpts;
  /** For streams that may run long (watch, upload): credentials, no short deadline. */
  stream: CallOpts;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM; `call` and `stream` carry it, so unary calls are cancelled with it. */
  signal: AbortSignal;
  /** The project (--project or BMI_PROJECT); a usage error when a command needs one and none is set. */
  project(): string;
  close(): void;
}

export function createCtx(env: CliEnv, v: Values, out: Output, signal: AbortSignal): Ctx {
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const token = str("token") ?? env.token;
  const user = str("user") ?? env.user;
  const password = str("password") ?? env.password;
  const authorization = token ? `Bearer ${token}`
    : user ? `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` : undefined;
  const timeout = str("timeout");
  if (timeout !== undefined && !/^\d+(\.\d+)?$/.test(timeout)) throw new UsageError(`--timeout ${timeout}: seconds expected`);
  const deadlineMs = timeout ? Number(timeout) * 1000 : 60_000;
  // TLS by default, trusting --ca (BMI's own CA) or the system's roots; plaintext only when asked for.
  const plaintext = v["plaintext"] === true || env.plaintext;
  const ca = str("ca") ?? env.ca;
  const tls = plaintext ? {} : { tls: ca ? { ca } : {} };
  const orch = createClient(OrchestratorClient, str("addr") ?? env.addr, { deadlineMs, name: "orchestrator", ...tls });
  const image = createClient(ImageServiceClient, str("image-addr") ?? env.imageAddr, { deadlineMs, name: "image-service", ...tls });
  const auth = authorization ? { authorization } : {};
  return {
    out, orch, image, signal, call: { ...auth, deadlineMs, signal }, stream: { ...auth, deadlineMs: 7 * 24 * 3600_000, signal },
    project() {
      const p = str("project") ?? env.project;
      if (!p) throw new UsageError("no project: use --project or set BMI_PROJECT");
      return p;
    },
    close() {
      orch.close();
      image.close();
    },
  };
}

export interface Command {
  /** "image ls", "pro", ... */
  name: string;
  /** Arguments after the name, for the usage line. */
  args: string;
  summary: string;
  options?: Options;
  /** Answers an exit code, or nothing for 0. */
  run(ctx: Ctx, positionals: string[], values: Values): Promise<number | void>;
}

/** Positional argument `i`, or a usage error naming it. */
export function arg(positionals: string[], i: number, name: string): string {
  const v = positionals[i];
  if (v === undefined || v === "") throw new UsageError(`missing ${name}`);
  return v;
}

export function num(v: Values, key: string, def = 0): number {
  const raw = v[key];
  if (raw === undefined) return def;
  if (typeof raw !== "string" || !/^\d+$/.test(raw)) throw new UsageError(`--${key} ${String(raw)}: a whole number expected`);
  return Number(raw);
}
