import type { Command } from "./context";
import { COMMANDS } from "./commands";

const GLOBAL = `Options of every command:
  -p, --project P      project (default: $BMI_PROJECT)
  --addr HOST:PORT     orchestrator (default: $BMI_ADDR or 127.0.0.1:50050)
  --image-addr H:P     image-service (default: $BMI_IMAGE_ADDR or 127.0.0.1:50051)
  --token T | --user U --password P   credentials (default: $BMI_TOKEN, or $BMI_USER/$BMI_PASSWORD)
  --json               machine-readable output on stdout
  --timeout S          seconds per call (default 60)
Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 conflict, 5 denied, 6 unavailable (retry)`;

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: bmi <command> [arguments] [options]\n\nCommands:\n${lines.join("\n")}\n\n${GLOBAL}\n`;
}

export function commandUsage(c: Command): string {
  return `usage: bmi ${c.name} ${c.args}\n\n${c.summary}\n\n${GLOBAL}\n`;
}
