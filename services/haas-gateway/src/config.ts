import { readFileSync } from "node:fs";
import {
  chassisSpec, int, loadServiceConfig, needs, oneOf, parseServiceConfig, problemsOf, requiredWith, str, url,
  type Check, type ConfigOf,
} from "@bmi/config";

/** BMI_HAAS_*: with nothing set, the gateway runs the standalone driver on the local Redis with an empty inventory. */
export const haasSpec = {
  ...chassisSpec("BMI_HAAS", "127.0.0.1:50054"),
  driver: oneOf("BMI_HAAS_DRIVER", ["standalone", "hil"], { default: "standalone", help: "where nodes live" }),
  hilUrl: url("BMI_HAAS_HIL_URL", ["http", "https"], { default: "", help: "HIL's base URL, for BMI_HAAS_DRIVER=hil" }),
  hilConcurrency: int("BMI_HAAS_HIL_CONCURRENCY", { default: 16, min: 1, help: "requests to HIL (and its OBM daemons) in flight from this gateway at once; more wait their turn within their call's deadline" }),
  hilRequestTimeoutMs: int("BMI_HAAS_HIL_TIMEOUT_MS", { default: 10_000, min: 100, help: "per HTTP request to HIL" }),
  hilActionTimeoutMs: int("BMI_HAAS_HIL_ACTION_TIMEOUT_MS", { default: 120_000, min: 100, help: "wait for a switch change" }),
  hilBlockedRetryMs: int("BMI_HAAS_HIL_BLOCKED_RETRY_MS", { default: 60_000, min: 0, help: "how long a HIL call answered 409 Blocked (a NIC with a pending network action, OBM not yet enabled) is retried before it ends ABORTED" }),
  inventoryFile: str("BMI_HAAS_INVENTORY", { default: "", help: "YAML/JSON nodes imported at start (standalone)" }),
  hilUser: str("BMI_HAAS_HIL_USER", { default: "", help: "service account mode: BMI's own HIL user (empty: callers' credentials pass through)" }),
  hilPasswordFile: str("BMI_HAAS_HIL_PASSWORD_FILE", { default: "", help: "file holding BMI_HAAS_HIL_USER's password" }),
  ipmitool: str("BMI_HAAS_IPMITOOL", { default: "ipmitool", help: "ipmitool binary for IPMI nodes (standalone)" }),
};

export type HaasConfig = ConfigOf<typeof haasSpec>;

/** Rules between the gateway's settings, one line each. */
export const haasChecks: Array<Check<HaasConfig>> = [
  needs(haasSpec, "hilUser", "hilPasswordFile"),
  requiredWith(haasSpec, "driver", "hil", "hilUrl"),
  (config) => (config.driver === "hil" && config.inventoryFile !== ""
    ? "BMI_HAAS_INVENTORY is for the standalone driver; register nodes with HIL instead" : undefined),
];

/** Every problem of the settings, the server's and the gateway's own, one line each. */
export const haasProblems = problemsOf(haasSpec, haasChecks);

/** Parses and cross-checks the settings; throws a ConfigError listing every problem. */
export function parseHaasConfig(env: NodeJS.ProcessEnv): HaasConfig {
  return parseServiceConfig(haasSpec, env, haasChecks);
}

/** Start-up: the process environment, read once; on bad settings prints every problem and exits 2 (--help, --print-config). */
export function loadHaasConfig(): HaasConfig {
  return loadServiceConfig("haas-gateway", haasSpec, haasChecks);
}

/** Service account mode's authorization header, or undefined for pass-through. */
export function hilServiceAuthorization(config: HaasConfig): string | undefined {
  if (!config.hilUser) return undefined;
  const password = readFileSync(config.hilPasswordFile, "utf8").replace(/\r?\n$/, "");
  return `Basic ${Buffer.from(`${config.hilUser}:${password}`).toString("base64")}`;
}
