export type Row = Record<string, string | number | boolean | undefined>;

/** Where a command writes: stdout for results, stderr for progress and errors; --json switches results to JSON. */
export interface Output {
  json: boolean;
  /** stderr is a terminal: progress bars are drawn. */
  tty: boolean;
  line(text: string): void;
  table(rows: Row[], columns: string[]): void;
  /** One JSON document (or one JSON line per streamed event). */
  data(value: unknown, compact?: boolean): void;
  /** A list: with --json one document of each item as `json` gives it, else a table of `row` of each. */
  list<T>(items: T[], json: (item: T) => unknown, row: (item: T) => Row, columns: string[]): void;
  /** Progress on stderr, redrawn in place; cleared by done(). */
  progress(text: string): void;
  done(): void;
}

export function createOutput(json: boolean, out = process.stdout, err = process.stderr): Output {
  const tty = Boolean(err.isTTY);
  let drawn = false;
  const output: Output = {
    json, tty,
    line: (text) => void out.write(`${text}\n`),
    table(rows, columns) {
      const cells = rows.map((r) => columns.map((c) => fmt(r[c])));
      const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
      const render = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join("  ").trimEnd();
      out.write(`${render(columns.map((c) => c.toUpperCase()))}\n`);
      for (const row of cells) out.write(`${render(row)}\n`);
    },
    data: (value, compact) => void out.write(`${JSON.stringify(value, null, compact ? undefined : 2)}\n`),
    list(items, toJson, row, columns) {
      if (json) output.data(items.map((item) => toJson(item)));
      else output.table(items.map((item) => row(item)), columns);
    },
    progress(text) {
      if (!tty) return;
      err.write(`\r\x1b[2K${text}`);
      drawn = true;
    },
    done() {
      if (drawn) err.write("\r\x1b[2K");
      drawn = false;
    },
  };
  return output;
}

function fmt(v: string | number | boolean | undefined): string {
  if (v === undefined || v === "") return "-";
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

/** "[#####.....] 50%" */
export function bar(done: number, total: number, width = 30): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(frac * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}] ${Math.floor(frac * 100)}%`;
}

export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function when(d: Date | undefined): string {
  return d ? d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "";
}
