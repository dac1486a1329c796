import type { Command } from "./context";
import { COMMANDS } from "./commands";

const GLOBAL = `Options of every command:
  -p, --project P      project (default: $BMI_PROJECT)
  --addr HOST:PORT     orchestrator (default: $BMI_ADDR or 127.0.0.1:50050)
  --image-addr H:P     image-service (default: $BMI_IMAGE_ADDR or 127.0.0.1:50051)
  --token T | --user U --password P   credentials (default: $BMI_TOKEN, or $BMI_USER/$BMI_PASSWORD)
  --json               machine-readable output on stdout; a failure is {"error": {...}} on stderr
  --timeout S          seconds per call (default 60)
  --ca FILE            CA certificate of BMI's services (default: $BMI_CA, else the system's roots)
  --plaintext          no TLS (default: $BMI_PLAINTEXT; a loopback-only stack with BMI_TLS=off)
Exit codes: 0 ok, 1 failed, 2 usage (or a local file that cannot be read or written), 3 not found,
  4 conflict, 5 denied, 6 unavailable (retry), 130 interrupted (Ctrl-C)
BMI_DEBUG=1 prints the stack trace of a failure.`;

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: bmi <command> [arguments] [options]\n\nCommands:\n${lines.join("\n")}\n\n${GLOBAL}\n`;
}

/** `bmi help --json`: every command's name, arguments and summary, for scripts and completion. */
export function commandList(): string {
  return `${JSON.stringify(COMMANDS.map(({ name, args, summary }) => ({ name, args, summary })), null, 2)}\n`;
}

export function commandUsage(c: Command): string {
  return `usage: bmi ${c.name} ${c.args}\n\n${c.summary}\n\n${GLOBAL}\n`;
}
