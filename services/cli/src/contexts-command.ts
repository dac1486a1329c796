import type { CliEnv } from "./config";
import { readConfigFile, useContext } from "./config-file";
import { UsageError } from "./exit-codes";

export const CONTEXT_HELP = `usage: bmi context ls | use NAME | show [NAME]

Named contexts of the config file ($BMI_CONFIG, default $XDG_CONFIG_HOME/bmi/config.yaml or ~/.config/bmi/config.yaml):
  current-context: lab
  contexts:
    lab:
      addr: 10.0.0.5:50050
      image-addr: 10.0.0.5:50051
      project: demo
      ca: ~/.config/bmi/lab-ca.crt
      user: alice
      password-file: ~/.config/bmi/lab.pass    # or token-file; the config file names secrets, never holds them
A context gives what neither flags nor BMI_* variables do; --context NAME or BMI_CONTEXT picks another one.

  ls          the contexts, * at the current one
  use NAME    make NAME the current context
  show [NAME] a context's settings (default: the current one)

Example:
  bmi context use lab && bmi ls
`;

/** `bmi context ...`: reads and writes only the config file, so it runs without a service. */
export function contextCommand(args: string[], env: CliEnv, json: boolean): string {
  const [verb, name] = args.filter((a) => a !== "--json");
  const file = readConfigFile(env.configFile);
  const current = env.context || file.current;
  switch (verb) {
    case "ls":
      if (json) return `${JSON.stringify({ file: file.path, current, contexts: Object.keys(file.contexts) })}\n`;
      return Object.keys(file.contexts).map((n) => `${n === current ? "*" : " "} ${n}\n`).join("");
    case "use":
      if (!name) throw new UsageError("missing NAME (bmi context ls lists them)");
      useContext(env.configFile, name);
      return json ? `${JSON.stringify({ current: name })}\n` : `current context: ${name}\n`;
    case "show": {
      const n = name ?? current;
      const c = n ? file.contexts[n] : undefined;
      if (!c) throw new UsageError(n ? `no context ${n} in ${file.path}` : "no current context (bmi context use NAME)");
      if (json) return `${JSON.stringify({ name: n, ...c })}\n`;
      return `name ${n}\n${Object.entries(c).map(([k, v]) => `${k} ${String(v)}\n`).join("")}`;
    }
    case undefined: case "--help": case "-h":
      return CONTEXT_HELP;
    default:
      throw new UsageError(`bmi context ${verb}: ls, use NAME or show [NAME]`);
  }
}
