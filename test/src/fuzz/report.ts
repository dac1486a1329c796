import * as grpc from "@grpc/grpc-js";
import type { ServiceFigures } from "./fuzz-service";
import type { StackFuzzResult } from "./fuzz-stack";

/** One line of figures per service: calls, calls/s, slowest answer, status histogram (most frequent first). */
export function figuresTable(figures: ServiceFigures[]): string {
  const rows = figures.map((f) => [
    f.service, String(f.calls), (f.calls / f.seconds).toFixed(0), `${f.maxMs.toFixed(0)} ms ${f.slowest}`, histogram(f.codes),
  ]);
  const head = ["service", "calls", "calls/s", "max latency (slowest call)", "statuses"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

/** One line per method: its status histogram. */
export function methodLines(figures: ServiceFigures[]): string[] {
  return figures.flatMap((f) => Object.entries(f.methods).map(([m, codes]) => `${f.service}/${m}: ${histogram(codes)}`));
}

const histogram = (codes: Record<string, number>) =>
  Object.entries(codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(", ");

/** Every problem of a run, one per line, each with what it takes to replay it; empty when the run was clean. */
export function problems(result: StackFuzzResult, seed: number): string[] {
  const lines: string[] = [];
  for (const f of result.figures) {
    for (const x of f.failures) {
      const code = typeof x.outcome.code === "number" ? grpc.status[x.outcome.code] : x.outcome.code;
      lines.push(`seed ${seed} ${f.service}/${x.method} #${x.index}: ${code} after ${x.outcome.ms.toFixed(0)} ms ` +
        `(${x.outcome.details}); request ${x.request}`);
    }
    if (f.failureCount > f.failures.length) lines.push(`${f.service}: ${f.failureCount - f.failures.length} more failures`);
  }
  for (const [service, status] of Object.entries(result.health)) {
    if (status !== "SERVING") lines.push(`${service} is ${status} after the run`);
  }
  for (const d of result.dead) lines.push(`process died: ${d}`);
  return lines;
}
