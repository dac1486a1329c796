import type { Command } from "../context";
import { diskCommands } from "./disks";
import { imageCommands } from "./images";
import { jobCommands } from "./jobs";
import { nodeCommands } from "./nodes";
import { powerCommands } from "./power";
import { provisionCommands } from "./provision";
import { quotaCommands } from "./quota";
import { auditCommands } from "./audit";
import { targetCommands } from "./targets";
import { targetHostCommands } from "./target-hosts";
import { allocationCommands } from "./allocation";
import { doctorCommands } from "./doctor";

export const COMMANDS: Command[] = [...provisionCommands, ...jobCommands, ...imageCommands, ...diskCommands, ...nodeCommands, ...powerCommands, ...targetCommands, ...targetHostCommands, ...allocationCommands,
  ...quotaCommands, ...auditCommands, ...doctorCommands];

/** The command named by the first one or two words, and the words after it. */
export function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}
