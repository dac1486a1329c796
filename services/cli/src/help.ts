import type { Command, Flag, Options } from "./context";
import { GLOBAL_OPTIONS } from "./context";
import { COMMANDS } from "./commands";

const EXITS = `Exit codes: 0 ok, 1 failed, 2 usage (or a local file that cannot be read or written), 3 not found,
  4 conflict, 5 denied, 6 unavailable (retry), 130 interrupted (Ctrl-C)
BMI_DEBUG=1 prints the stack trace of a failure.`;

const flagName = (name: string, f: Flag) => `${f.short ? `-${f.short}, ` : ""}--${name}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`;

function describe(options: Options): string {
  const rows = Object.entries(options).map(([n, f]) => [flagName(n, f) + (f.multiple ? "..." : ""), f.help] as const);
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, h]) => `  ${n.padEnd(width)}  ${h}`).join("\n");
}

function list(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
}

export function usage(): string {
  return `usage: bmi <command> [arguments] [options]\n\nCommands:\n${list(COMMANDS)}\n\n`
    + `bmi help COMMAND (or bmi COMMAND --help) describes a command; bmi GROUP lists a group (bmi image).\n`
    + `bmi context ls|use NAME|show: named contexts of the config file (bmi help context).\n`
    + `bmi --version; bmi completion bash|zsh (source <(bmi completion bash)).\n\nOptions of every command:\n${describe(GLOBAL_OPTIONS)}\n${EXITS}\n`;
}

/** The commands of a group ("image", "node"), or none when `word` names no group. */
export function group(word: string): Command[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${word} `));
}

export function groupUsage(word: string): string {
  return `usage: bmi ${word} <command> [arguments] [options]\n\nCommands:\n${list(group(word))}\n\n`
    + `bmi help ${word} COMMAND describes one; bmi help lists every command and the options they all take.\n`;
}

/** `bmi help --json`: every command's name, arguments, summary, options and example, for scripts and completion. */
export function commandList(): string {
  return `${JSON.stringify(COMMANDS.map(({ name, args, summary, example, options }) => ({ name, args, summary, example,
    options: Object.fromEntries(Object.entries(options ?? {}).map(([n, f]) => [n, { type: f.type, help: f.help }])) })), null, 2)}\n`;
}

export function commandUsage(c: Command): string {
  const own = c.options && Object.keys(c.options).length > 0 ? `Options:\n${describe(c.options)}\n\n` : "";
  const example = c.example.split("\n").map((l) => `  ${l}`).join("\n");
  return `usage: bmi ${c.name}${c.args ? ` ${c.args}` : ""}\n\n${c.summary}\n\n${own}Example:\n${example}\n\n`
    + `Options of every command:\n${describe(GLOBAL_OPTIONS)}\n${EXITS}\n`;
}
