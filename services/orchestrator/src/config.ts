import {
  address, bool, chassisSpec, int, loadServiceConfig, needs, str, type Check, type ConfigOf, type Field,
} from "@bmi/config";
import type { Bottleneck } from "./engine/plan";
import { parseFaults } from "./steps/faults";

// target-host: each target host's own limit ("target-host:<id>"), beside target's over all of them.
const BOTTLENECKS = ["image", "target", "hil", "boot", "target-host"] as Array<Bottleneck | "target-host">;

/** BMI_ORCH_*: every setting has a default that works on one host, so the orchestrator starts with none. */
export const orchSpec = {
  ...chassisSpec("BMI_ORCH", "127.0.0.1:50050"),
  imageAddr: address("BMI_ORCH_IMAGE_ADDR", { default: "127.0.0.1:50051", help: "image-service" }),
  targetAddr: address("BMI_ORCH_TARGET_ADDR", { default: "127.0.0.1:50052", help: "target-service" }),
  bootAddr: address("BMI_ORCH_BOOT_ADDR", { default: "127.0.0.1:50053", help: "boot-service" }),
  haasAddr: address("BMI_ORCH_HAAS_ADDR", { default: "127.0.0.1:50054", help: "haas-gateway" }),
  instance: str("BMI_ORCH_INSTANCE", { default: "", help: "this instance's name; default host-pid-random" }),
  leaseMs: int("BMI_ORCH_LEASE_MS", { default: 15_000, min: 200, help: "a dead instance's jobs resume after this" }),
  maxJobs: int("BMI_ORCH_MAX_JOBS", { default: 256, min: 1, help: "jobs this instance runs at once" }),
  bulkParallel: int("BMI_ORCH_BULK_PARALLEL", { default: 64, min: 1, help: "default max_parallel of a bulk job" }),
  // image-service, target-service and boot-service are BMI's own and do their back ends' work in order anyway (the
  // storage daemon one command at a time, tgtd one request at a time): lower limits only queued steps here, 10-20%
  // of a 1,000-node bulk (BENCHMARKS.md, 2026-11-30). HIL, another team's service, is held to 16 requests at once by
  // the gateway that talks to it (BMI_HAAS_HIL_CONCURRENCY), where a standalone gateway (no HIL) holds nothing back.
  // Each target host's tgtd: 8.
  limits: limits("BMI_ORCH_LIMITS", "image=64,target=64,hil=64,boot=64,target-host=8"),
  // 8 tries with backoff from 200 ms to 10 s span about 20 s: a service restart, not a long outage.
  retryAttempts: int("BMI_ORCH_RETRY_ATTEMPTS", { default: 8, min: 1, help: "tries of a step on transient errors" }),
  retryBaseMs: int("BMI_ORCH_RETRY_BASE_MS", { default: 200, min: 1, help: "first backoff between a step's tries, doubled each time" }),
  retryMaxMs: int("BMI_ORCH_RETRY_MAX_MS", { default: 10_000, min: 1, help: "longest backoff between a step's tries" }),
  callDeadlineMs: int("BMI_ORCH_CALL_DEADLINE_MS", { default: 60_000, min: 100, help: "per call to a service" }),
  batchInFlight: int("BMI_ORCH_BATCH_IN_FLIGHT", { default: 4, min: 0, help: "calls of one method in flight to a service before the next ones wait and go out as one batched call (CreateDisks, CreateTargets, ...); 0: never batch" }),
  retentionHours: int("BMI_ORCH_JOB_RETENTION_HOURS", { default: 168, min: 1, help: "finished jobs are kept this long" }),
  idempotencyHours: int("BMI_ORCH_IDEMPOTENCY_HOURS", { default: 24, min: 1, help: "how long an idempotency key answers the job it made" }),
  initiatorPrefix: str("BMI_ORCH_INITIATOR_PREFIX", { default: "iqn.2026-01.org.example.bmi.node", help: "initiator IQN = <prefix>:<project>.<node>" }),
  bootConsumer: str("BMI_ORCH_BOOT_CONSUMER", { default: "", help: "JetStream consumer of boot phases; default from BMI_REDIS_PREFIX" }),
  maxWatchers: int("BMI_ORCH_MAX_WATCHERS", { default: 200, min: 1, help: "concurrent WatchJob streams" }),
  maxWatchersPerUser: int("BMI_ORCH_MAX_WATCHERS_PER_USER", { default: 20, min: 1, help: "concurrent WatchJob streams of one user" }),
  faults: faults("BMI_ORCH_FAULTS"),
  passCredentials: bool("BMI_ORCH_PASS_CREDENTIALS", {
    default: false, help: "keep each job's caller credentials (sealed) for HIL pass-through; needs BMI_ORCH_CREDENTIAL_KEY_FILE",
  }),
  targetAffinity: oneOf(str("BMI_ORCH_TARGET_AFFINITY", {
    default: "none", help: "after capacity and load, where new targets go: none, or project (hosts already holding the project's targets)",
  }), ["none", "project"]),
  targetMultipath: int("BMI_ORCH_TARGET_MULTIPATH", { default: 1, min: 1, max: 4, help: "target hosts exporting each RBD-backed disk (2: multipath across hosts); kept in each job this instance makes" }),
  driftIntervalS: int("BMI_ORCH_DRIFT_INTERVAL_S", {
    default: 0, min: 0, help: "seconds between drift checks of the back ends against the records (CheckDrift); 0: no periodic check",
  }),
  driftRepair: bool("BMI_ORCH_DRIFT_REPAIR", { default: false, help: "the periodic drift check also applies the safe repairs" }),
  credentialKeyFile: str("BMI_ORCH_CREDENTIAL_KEY_FILE", { default: "", help: "32 random bytes (raw, hex or base64) sealing kept credentials" }),
};

export type OrchConfig = ConfigOf<typeof orchSpec>;

/** Rules between the orchestrator's settings. */
export const orchChecks: Array<Check<OrchConfig>> = [needs(orchSpec, "passCredentials", "credentialKeyFile")];

/** Start-up: the settings from the environment, checked; exits 2 listing every problem. */
export function loadOrchConfig(): OrchConfig {
  return loadServiceConfig("orchestrator", orchSpec, orchChecks);
}

/** One of `values`. */
function oneOf(f: Field<string>, values: string[]): Field<string> {
  return { ...f, parse: (raw) => {
    const v = f.parse(raw);
    if (!values.includes(v)) throw new Error(`${f.env}=${v}: one of ${values.join(", ")}`);
    return v;
  } };
}

/** Test and drill only: steps that fail on purpose (steps/faults.ts). */
function faults(env: string): Field<string> {
  return { env, help: "fault injection, e.g. disk@n1,target@n2:before", parse: (raw) => {
    if (raw) parseFaults(raw);
    return raw ?? "";
  } };
}

/** "image=16,target=8": one concurrency limit per bottleneck; a missing one keeps its default. */
function limits(env: string, def: string): Field<Partial<Record<Bottleneck, number>>> {
  const parse = (raw: string) => {
    const out: Partial<Record<Bottleneck, number>> = {};
    for (const item of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [k, v] = item.split("=");
      if (!BOTTLENECKS.includes(k as Bottleneck) || !/^\d+$/.test(v ?? "") || Number(v) < 1) {
        throw new Error(`${env}: "${item}" is not <${BOTTLENECKS.join("|")}>=<positive number>`);
      }
      out[k as Bottleneck] = Number(v);
    }
    return out;
  };
  return { env, help: `per-bottleneck concurrency, default ${def}`, parse: (raw) => ({ ...parse(def), ...(raw ? parse(raw) : {}) }) };
}
