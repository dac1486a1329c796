#!/usr/bin/env node
import { parseArgs } from "node:util";
import { findCommand } from "./commands";
import { readEnv } from "./config";
import { GLOBAL_OPTIONS, createCtx, type Ctx } from "./context";
import { EXIT, UsageError, exitCodeOf } from "./exit-codes";
import { commandUsage, usage } from "./help";
import { createOutput } from "./output";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(usage());
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
    ctx = createCtx(readEnv(), parsed.values, out);
    return (await command.run(ctx, parsed.positionals, parsed.values)) ?? EXIT.OK;
  } finally {
    out.done();
    ctx?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    // One line for people; the exit code tells scripts what kind of failure it was.
    process.stderr.write(`bmi: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = exitCodeOf(err);
  },
);

/** grpc-js reports a refused connection in several nested sentences: keep the part that says what happened. */
function oneLine(message: string): string {
  const refused = /(connect \w+ [\w.:[\]-]+?)\.?(?:\s|$)/.exec(message);
  if (/No connection established/.test(message) && refused) return `service unreachable: ${refused[1]}`;
  return message.split("\n")[0] ?? message;
}
