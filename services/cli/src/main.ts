#!/usr/bin/env node
import { parseArgs } from "node:util";
import { findCommand } from "./commands";
import { readEnv, type CliEnv } from "./config";
import { GLOBAL_OPTIONS, createCtx, type Ctx } from "./context";
import { EXIT, Interrupted, UsageError, interruption } from "./exit-codes";
import { commandList, commandUsage, usage } from "./help";
import { interruptSignal } from "./interrupt";
import { createOutput } from "./output";
import { createReporter } from "./report";

// After a failure nothing may keep the process alive: a call grpc-js did not give up on must not hang the shell.
const LINGER_MS = 1000;

async function main(argv: string[], env: CliEnv, signal: AbortSignal): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(argv.includes("--json") ? commandList() : usage());
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  const found = findCommand(argv);
  if (!found) throw new UsageError(`unknown command "${argv.slice(0, 2).join(" ")}" (bmi help lists them)`);
  const { command, rest } = found;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
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
    ctx = createCtx(env, parsed.values, out, signal);
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
const report = createReporter(argv.includes("--json"), env.debug);
const exitNow = (err: unknown): never => process.exit(report(err));
const signal = interruptSignal(exitNow);
// Whatever escapes a callback still ends as one line and an exit code, never as Node's stack trace.
process.on("uncaughtException", exitNow);
process.on("unhandledRejection", exitNow);
// `bmi ... | head` closes the pipe early: the reader has what it wanted, which is no failure to report.
process.stdout.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" ? process.exit(process.exitCode ?? 0) : exitNow(err)));

main(argv, env, signal).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.exitCode = report(err);
    setTimeout(() => process.exit(), LINGER_MS).unref();
  },
);
