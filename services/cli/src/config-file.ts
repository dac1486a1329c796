import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { expandHome, type CliEnv } from "./config";
import { UsageError } from "./exit-codes";

/** One named context of the config file: where BMI is and who the caller is there. Every field may be left out. */
export interface BmiContext {
  addr?: string;
  "image-addr"?: string;
  project?: string;
  ca?: string;
  plaintext?: boolean;
  user?: string;
  "password-file"?: string;
  "token-file"?: string;
}

const KEYS = ["addr", "image-addr", "project", "ca", "plaintext", "user", "password-file", "token-file"];

/**
 * The config file, like kubeconfig: `current-context: NAME` and `contexts: {NAME: {addr, image-addr, project, ca,
 * user, password-file, token-file}}`. Secrets are named by file only, so the config file itself holds none.
 */
export interface ConfigFile {
  path: string;
  current: string;
  contexts: Record<string, BmiContext>;
}

export function readConfigFile(file: string): ConfigFile {
  let text = "";
  try {
    text = file ? readFileSync(file, "utf8") : "";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new UsageError(`config file ${file}: ${doc.errors[0]!.message.split("\n")[0]}`);
  const raw = (doc.toJS() ?? {}) as { "current-context"?: unknown; contexts?: unknown };
  const contexts = (raw.contexts ?? {}) as Record<string, Record<string, unknown>>;
  if (typeof contexts !== "object" || Array.isArray(contexts)) throw new UsageError(`config file ${file}: contexts must be a map of NAME: {...}`);
  for (const [name, c] of Object.entries(contexts)) {
    const unknown = Object.keys(c ?? {}).filter((k) => !KEYS.includes(k));
    if (unknown.length > 0) throw new UsageError(`config file ${file}: context ${name}: unknown ${unknown.join(", ")} (known: ${KEYS.join(", ")})`);
  }
  return { path: file, current: typeof raw["current-context"] === "string" ? raw["current-context"] : "", contexts: contexts as Record<string, BmiContext> };
}

/** The context --context, BMI_CONTEXT or the file's current-context names, its paths expanded; {} when none is named. */
export function selectContext(env: CliEnv, flag: string | undefined): BmiContext {
  const file = readConfigFile(env.configFile);
  const name = flag ?? (env.context || file.current);
  if (!name) return {};
  const c = file.contexts[name];
  if (!c) throw new UsageError(`no context ${name} in ${file.path || "the config file (set BMI_CONFIG or HOME)"}`);
  const p = (k: "ca" | "password-file" | "token-file") => (c[k] ? { [k]: path.resolve(path.dirname(file.path), expandHome(c[k]!, env.home)) } : {});
  return { ...c, ...p("ca"), ...p("password-file"), ...p("token-file") };
}

/** `bmi context use NAME`: sets current-context, keeping the file's comments and layout. */
export function useContext(file: string, name: string): void {
  if (!file) throw new UsageError("no config file: set BMI_CONFIG or HOME");
  if (!readConfigFile(file).contexts[name]) throw new UsageError(`no context ${name} in ${file}`);
  const doc = parseDocument(readFileSync(file, "utf8"));
  doc.set("current-context", name);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.bmi-${process.pid}`;
  writeFileSync(tmp, doc.toString(), { mode: 0o600 });
  renameSync(tmp, file);
}
