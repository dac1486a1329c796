import type { Progress } from "./progress";
import { seconds, type Stories } from "./scenario";

/** The closing summary: what happened to each node, then how long each phase took. */
export function printSummary(stories: Stories, progress: Progress, out: (line: string) => void = console.log): void {
  out("");
  out("Summary");
  out("-------");
  for (const [node, lines] of stories) {
    out(`${node}`);
    for (const l of lines) out(`  - ${l}`);
  }
  out("");
  const width = Math.max(...progress.phases.map((p) => p.name.length));
  for (const p of progress.phases) out(`${p.name.padEnd(width)}  ${seconds(p.ms).padStart(8)}`);
  const total = progress.phases.reduce((sum, p) => sum + p.ms, 0);
  out(`${"total".padEnd(width)}  ${seconds(total).padStart(8)}`);
}
