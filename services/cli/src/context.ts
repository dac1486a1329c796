import { randomUUID } from "node:crypto";
import type { ParseArgsConfig } from "node:util";
import { createClient, type CallOpts, type PromiseClient } from "@bmi/grpc/client";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { TargetHostsClient } from "@bmi/proto/bmi/orchestrator/v1/target_hosts";
import { OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { AllocationClient } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import type { CliEnv } from "./config";
import { selectContext } from "./config-file";
import { authorization as credentials } from "./credentials";
import { UsageError } from "./exit-codes";
import type { Output } from "./output";

/** One flag: what parseArgs needs, plus what `bmi CMD --help` and completion say about it. */
export interface Flag {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in help (`--timeout S`); string flags only. */
  value?: string;
  help: string;
}
export type Options = Record<string, Flag>;

/** A string flag, `--name VALUE` (VALUE the placeholder help shows), with what else it is (`short`, `multiple`). */
export function opt(value: string, help: string, more: Pick<Flag, "short" | "multiple"> = {}): Flag {
  return { type: "string", value, help, ...more };
}

/** A boolean flag. */
export function flag(help: string, more: Pick<Flag, "short"> = {}): Flag {
  return { type: "boolean", help, ...more };
}

/** What parseArgs takes: the flags without their help. */
export function parseOptions(o: Options): NonNullable<ParseArgsConfig["options"]> {
  return Object.fromEntries(Object.entries(o).map(([k, f]) => [k, { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) }]));
}
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Flags every command takes. */
export const GLOBAL_OPTIONS: Options = {
  project: opt("P", "project (default: $BMI_PROJECT, else the context's)", { short: "p" }),
  context: opt("NAME", "a context of the config file (default: $BMI_CONTEXT, else its current-context)"),
  addr: opt("HOST:PORT", "orchestrator (default: $BMI_ADDR, the context's, or 127.0.0.1:50050)"),
  "image-addr": opt("HOST:PORT", "image-service (default: $BMI_IMAGE_ADDR, the context's, or 127.0.0.1:50051)"),
  token: opt("T", "bearer token (default: $BMI_TOKEN; better: --token-file)"),
  "token-file": opt("FILE", "read the bearer token from FILE (default: $BMI_TOKEN_FILE)"),
  user: opt("U", "user for basic credentials (default: $BMI_USER)"),
  password: opt("P", "password on the command line: visible to ps (default: $BMI_PASSWORD)"),
  "password-file": opt("FILE", "read the password from FILE's first line (default: $BMI_PASSWORD_FILE)"),
  "password-stdin": flag("read the password from standard input's first line"),
  json: flag("machine-readable output on stdout; a failure is {\"error\": {...}} on stderr"),
  timeout: opt("S", "seconds per call (default 60)"),
  ca: opt("FILE", "CA certificate of BMI's services (default: $BMI_CA, the context's, else the system's roots)"),
  plaintext: flag("no TLS (default: $BMI_PLAINTEXT; a loopback-only stack with BMI_TLS=off)"),
  help: flag("this help", { short: "h" }),
};

export interface Ctx {
  out: Output;
  orch: PromiseClient<OrchestratorClient>;
  /** The orchestrator's target hosts and shared limits (same address; admins). */
  hosts: PromiseClient<TargetHostsClient>;
  /** The orchestrator's scheduler, leases and clusters (same address). */
  alloc: PromiseClient<AllocationClient>;
  image: PromiseClient<ImageServiceClient>;
  /** Options for a unary call: credentials and the --timeout deadline. */
  call: CallOpts;
  /** For streams that may run long (watch, upload): credentials, no short deadline. */
  stream: CallOpts;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM; `call` and `stream` carry it, so unary calls are cancelled with it. */
  signal: AbortSignal;
  /** Sent as x-request-id with every call: services log it and pass it on. */
  requestId: string;
  /** The project (--project or BMI_PROJECT); a usage error when a command needs one and none is set. */
  project(): string;
  close(): void;
}

export function createCtx(env: CliEnv, v: Values, out: Output, signal: AbortSignal, requestId: string = randomUUID()): Ctx {
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const c = selectContext(env, str("context"));
  const authorization = credentials(str, v["password-stdin"] === true, env, c);
  const timeout = str("timeout");
  if (timeout !== undefined && !/^\d+(\.\d+)?$/.test(timeout)) throw new UsageError(`--timeout ${timeout}: seconds expected`);
  const deadlineMs = timeout ? Number(timeout) * 1000 : 60_000;
  // TLS by default, trusting --ca (BMI's own CA) or the system's roots; plaintext only when asked for.
  const plaintext = v["plaintext"] === true || env.plaintext || c.plaintext === true;
  const ca = str("ca") ?? (env.ca || c.ca);
  const tls = plaintext ? {} : { tls: ca ? { ca } : {} };
  const orchAddr = str("addr") ?? (env.addr || c.addr || "127.0.0.1:50050");
  const orch = createClient(OrchestratorClient, orchAddr, { deadlineMs, name: "orchestrator", ...tls });
  const hosts = createClient(TargetHostsClient, orchAddr, { deadlineMs, name: "orchestrator", ...tls });
  const alloc = createClient(AllocationClient, orchAddr, { deadlineMs, name: "orchestrator", ...tls });
  const image = createClient(ImageServiceClient, str("image-addr") ?? (env.imageAddr || c["image-addr"] || "127.0.0.1:50051"),
    { deadlineMs, name: "image-service", ...tls });
  // One request id for every call of this command, so that one grep finds its lines in every service's log.
  const auth = { ...(authorization ? { authorization } : {}), requestId };
  return {
    out, orch, hosts, alloc, image, signal, requestId: auth.requestId, call: { ...auth, deadlineMs, signal }, stream: { ...auth, deadlineMs: 7 * 24 * 3600_000, signal },
    project() {
      const p = str("project") ?? (env.project || c.project);
      if (!p) throw new UsageError("no project: use --project or set BMI_PROJECT");
      return p;
    },
    close() {
      orch.close();
      hosts.close();
      alloc.close();
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
  /** One or more example lines, shown by `bmi CMD --help`. */
  example: string;
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
