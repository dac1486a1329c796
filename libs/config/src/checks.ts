import { serverProblems, type serverSpec } from "./common";
import type { ConfigOf, Spec } from "./load";
import { loadConfig, loadConfigOrExit, ConfigError } from "./load";

/**
 * A rule between settings: answers the problem, one line naming the variables, or undefined when they agree.
 * Checked after every field parsed, so a service never starts on settings that contradict each other.
 */
export type Check<C> = (cfg: C) => string | undefined;

type ServerSpec = ReturnType<typeof serverSpec>;
type Key<S extends Spec> = keyof S & string;

const shown = (v: unknown) => (v === true ? "=true" : "");
const set = (v: unknown) => !(v === "" || v === false || v === undefined || (Array.isArray(v) && v.length === 0));

/** `key` set (a non-empty value, or true) needs `other` set too: "BMI_A needs BMI_B", "BMI_A=true needs BMI_B". */
export function needs<S extends Spec>(spec: S, key: Key<S>, other: Key<S>): Check<ConfigOf<S>> {
  return (cfg) => (set(cfg[key]) && !set(cfg[other]) ? `${spec[key]!.env}${shown(cfg[key])} needs ${spec[other]!.env}` : undefined);
}

/** With `key` equal to `value`, `other` must be set: "BMI_B is required with BMI_A=value". */
export function requiredWith<S extends Spec>(spec: S, key: Key<S>, value: string, other: Key<S>): Check<ConfigOf<S>> {
  return (cfg) => (cfg[key] === value && !set(cfg[other]) ? `${spec[other]!.env} is required with ${spec[key]!.env}=${value}` : undefined);
}

/** Every problem of a service's settings: where and how it serves (listen address, TLS, auth), then its own rules. */
export function problemsOf<S extends ServerSpec & Spec>(spec: S, checks: ReadonlyArray<Check<ConfigOf<S>>> = []): (cfg: ConfigOf<S>) => string[] {
  return (cfg) => [
    ...serverProblems(cfg as unknown as Parameters<typeof serverProblems>[0], spec.listen.env),
    ...checks.map((check) => check(cfg)).filter((p): p is string => p !== undefined),
  ];
}

/**
 * A service's start-up: its settings from the process environment, checked field by field and across fields; on
 * any problem prints them all and exits 2 (see loadConfigOrExit: --help, --print-config).
 */
export function loadServiceConfig<S extends ServerSpec & Spec>(service: string, spec: S, checks: ReadonlyArray<Check<ConfigOf<S>>> = []): ConfigOf<S> {
  return loadConfigOrExit(service, spec, problemsOf(spec, checks));
}

/** The same from an environment given (tests): throws a ConfigError listing every problem. */
export function parseServiceConfig<S extends ServerSpec & Spec>(spec: S, env: NodeJS.ProcessEnv, checks: ReadonlyArray<Check<ConfigOf<S>>> = []): ConfigOf<S> {
  const cfg = loadConfig(spec, env);
  const problems = problemsOf(spec, checks)(cfg);
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}
