import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { UsageError } from "./exit-codes";
import { onFile } from "./local-file";

/** A YAML or JSON file (JSON is YAML): a list, or an object whose `key` holds the list. */
export async function readList(file: string, key: string): Promise<Record<string, unknown>[]> {
  const text = await onFile("read", file, () => readFile(file, "utf8"));
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list) || list.some((x) => typeof x !== "object" || x === null)) {
    throw new UsageError(`${file}: expected a list of ${key}, or {${key}: [...]}`);
  }
  return list as Record<string, unknown>[];
}

export function field(entry: Record<string, unknown>, name: string): string {
  const v = entry[name];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string" && typeof v !== "number") throw new UsageError(`${name}: ${JSON.stringify(v)} is not a string`);
  return String(v);
}
