import path from "node:path";

/**
 * The CLI's environment, read once here and nowhere else. Flags override it, and it overrides the config file's
 * context (see context.ts).
 *   BMI_ADDR        orchestrator (default: the context's, else 127.0.0.1:50050)
 *   BMI_IMAGE_ADDR  image-service (default: the context's, else 127.0.0.1:50051)
 *   BMI_PROJECT     project of every command that needs one
 *   BMI_TOKEN       bearer token, or BMI_TOKEN_FILE naming a file that holds it
 *   BMI_USER        user for basic credentials, with BMI_PASSWORD or BMI_PASSWORD_FILE
 *   BMI_CA          PEM file of the CA that signs BMI's certificates (default: the system's trusted roots)
 *   BMI_PLAINTEXT   1: no TLS (a stack started with BMI_TLS=off, on loopback)
 *   BMI_CONFIG      the config file of named contexts (default: $XDG_CONFIG_HOME/bmi/config.yaml or ~/.config/bmi/config.yaml)
 *   BMI_CONTEXT     the context to use (default: the file's current-context)
 *   BMI_DEBUG       1: a failure prints its stack trace (and causes) after its one line
 */
export interface CliEnv {
  addr: string;
  imageAddr: string;
  project: string;
  token: string;
  tokenFile: string;
  user: string;
  password: string;
  passwordFile: string;
  debug: boolean;
  ca: string;
  plaintext: boolean;
  /** Empty when neither BMI_CONFIG, XDG_CONFIG_HOME nor HOME is set: no config file then. */
  configFile: string;
  context: string;
  /** For `~/` in the config file's paths. */
  home: string;
}

const yes = (v: string | undefined) => /^(1|true|yes)$/i.test(v ?? "");

function configFile(env: NodeJS.ProcessEnv): string {
  if (env.BMI_CONFIG) return env.BMI_CONFIG;
  // Only from the environment, never os.homedir()'s passwd fallback: a process given a clean environment (a test,
  // a cron job) reads no one's personal contexts.
  const base = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, ".config") : "");
  return base ? path.join(base, "bmi", "config.yaml") : "";
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    addr: env.BMI_ADDR ?? "",
    imageAddr: env.BMI_IMAGE_ADDR ?? "",
    project: env.BMI_PROJECT ?? "",
    token: env.BMI_TOKEN ?? "",
    tokenFile: env.BMI_TOKEN_FILE ?? "",
    user: env.BMI_USER ?? "",
    password: env.BMI_PASSWORD ?? "",
    passwordFile: env.BMI_PASSWORD_FILE ?? "",
    debug: yes(env.BMI_DEBUG),
    ca: env.BMI_CA ?? "",
    plaintext: yes(env.BMI_PLAINTEXT),
    configFile: configFile(env),
    context: env.BMI_CONTEXT ?? "",
    home: env.HOME ?? "",
  };
}

/** `~/x` in a config file's paths: $HOME's x. */
export function expandHome(p: string, home: string): string {
  return p.startsWith("~/") && home ? path.join(home, p.slice(2)) : p;
}
