import { configText, helpText } from "./explain";
import type { Field } from "./fields";

export type Spec = Record<string, Field<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** Thrown by `loadConfig` with every problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Parses every field of `spec` from `env`; throws a ConfigError listing all problems, not just the first. */
export function loadConfig<S extends Spec>(spec: S, env: NodeJS.ProcessEnv): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, f] of Object.entries(spec)) {
    try {
      out[key] = f.parse(env[f.env]);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as ConfigOf<S>;
}

/**
 * Start-up entry point: parses the process environment once; on bad config prints every problem and exits 2.
 * `--help` prints the variables the service reads and `--print-config` what they are here (secrets masked), and
 * both exit 0. This is the only place in BMI that reads process.env.
 */
export function loadConfigOrExit<S extends Spec>(
  service: string, spec: S, check: (cfg: ConfigOf<S>) => string[] = () => [], argv = process.argv.slice(2),
): ConfigOf<S> {
  if (argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(helpText(service, spec));
    process.exit(0);
  }
  try {
    const cfg = loadConfig(spec, process.env);
    const problems = check(cfg);
    if (problems.length > 0) throw new ConfigError(problems);
    if (argv[0] === "--print-config") {
      process.stdout.write(configText(spec, cfg));
      process.exit(0);
    }
    return cfg;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${service}: ${err.message}\n`);
    process.exit(2);
  }
}
