#!/usr/bin/env node
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { findCommand } from "./commands";
import { readEnv, type CliEnv } from "./config";
import { completion } from "./completion";
import { CONTEXT_HELP, contextCommand } from "./contexts-command";
import { GLOBAL_OPTIONS, createCtx, parseOptions, type Ctx } from "./context";
import { EXIT, Interrupted, UsageError, interruption } from "./exit-codes";
import { commandList, commandUsage, group, groupUsage, usage } from "./help";
import { interruptSignal } from "./interrupt";
import { createOutput } from "./output";
import { createReporter } from "./report";

// After a failure nothing may keep the process alive: a call grpc-js did not give up on must not hang the shell.
const LINGER_MS = 1000;

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string };
  return `bmi ${pkg.version}\n`;
}

/** What needs no command lookup: help, group help, --version, completion. Undefined when argv names a command. */
function builtin(argv: string[], env: CliEnv): string | undefined {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "version") return version();
  if (first === "completion") return completion(rest[0]);
  if (first === "context") return contextCommand(rest, env, rest.includes("--json"));
  if (first === "help" && rest[0] === "context") return CONTEXT_HELP;
  if (first === "help" && rest.length > 0 && rest[0] !== "--json") {
    const found = findCommand(rest);
    if (found && found.rest.length === 0) return commandUsage(found.command);
    if (rest.length === 1 && group(rest[0]!).length > 0) return groupUsage(rest[0]!);
    throw new UsageError(`no command "${rest.join(" ")}" (bmi help lists them)`);
  }
  if (first && argv.length <= 2 && group(first).length > 0 && (argv.length === 1 || argv[1] === "--help" || argv[1] === "-h")) {
    return groupUsage(first);
  }
  return undefined;
}

async function main(argv: string[], env: CliEnv, signal: AbortSignal, requestId: string): Promise<number> {
  if (argv.length === 0 || (argv[0] === "help" && (argv.length === 1 || argv[1] === "--json")) || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(argv.includes("--json") ? commandList() : usage());
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  const text = builtin(argv, env);
  if (text !== undefined) {
    process.stdout.write(text);
    // `bmi image` alone asks nothing of a service: like bare `bmi`, a usage error, after the group's commands.
    return argv.length === 1 && group(argv[0]!).length > 0 ? EXIT.USAGE : EXIT.OK;
  }
  const found = findCommand(argv);
  if (!found) throw new UsageError(`unknown command "${argv.slice(0, 2).join(" ")}" (bmi help lists them)`);
  const { command, rest } = found;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: parseOptions({ ...GLOBAL_OPTIONS, ...command.options }), allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split(/\.\s|\n/)[0]} (bmi ${command.name} --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(commandUsage(command));
    return EXIT.OK;
  }
  const out = createOutput(parsed.values.json === true);
  let ctx: Ctx | undefined;
  try {
    ctx = createCtx(env, parsed.values, out, signal, requestId);
    return (await command.run(ctx, parsed.positionals, parsed.values)) ?? EXIT.OK;
  } catch (err) {
    // A call cancelled by Ctrl-C fails as CANCELLED: report the interruption, not the cancelled call.
    if (err instanceof Interrupted) throw err;
    throw interruption(signal, `interrupted: ${command.name} stopped before its answer arrived`) ?? err;
  } finally {
    out.done();
    ctx?.close();
  }
}

const argv = process.argv.slice(2);
const env = readEnv();
// --json is known before the arguments are parsed, so that a usage error is JSON too.
// One request id for every call of this command (x-request-id): services log it, BMI_DEBUG=1 prints it on failure.
const requestId = randomUUID();
const report = createReporter(argv.includes("--json"), env.debug, process.stderr, requestId);
const exitNow = (err: unknown): never => process.exit(report(err));
const signal = interruptSignal(exitNow);
// Whatever escapes a callback still ends as one line and an exit code, never as Node's stack trace.
process.on("uncaughtException", exitNow);
process.on("unhandledRejection", exitNow);
// `bmi ... | head` closes the pipe early: the reader has what it wanted, which is no failure to report.
process.stdout.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" ? process.exit(process.exitCode ?? 0) : exitNow(err)));

main(argv, env, signal, requestId).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.exitCode = report(err);
    setTimeout(() => process.exit(), LINGER_MS).unref();
  },
);
