import { accessSync, constants } from "node:fs";
import { address, addresses, int, list, oneOf, optionalFile, str, url } from "./fields";

/**
 * Settings every service has: where it listens, logging, auth, deadlines and shutdown. `prefix` is the service's
 * own (BMI_IMAGE, BMI_TARGET, ...) for the listen address; the rest is shared (BMI_LOG_LEVEL, BMI_AUTH, ...).
 */
export function serverSpec(prefix: string, defaultListen: string) {
  return {
    listen: address(`${prefix}_LISTEN`, { default: defaultListen, help: "host:port for gRPC" }),
    metricsListen: address(`${prefix}_METRICS_LISTEN`, { default: "", help: "host:port serving Prometheus metrics at /metrics (plain HTTP); empty: none" }),
    otlpEndpoint: url("BMI_OTLP_ENDPOINT", ["http", "https"], { default: "", help: "OTLP/HTTP traces URL (a collector's /v1/traces); empty: no traces" }),
    logLevel: oneOf("BMI_LOG_LEVEL", ["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      default: "info", help: "least level logged: trace, debug, info, warn, error, fatal or silent (audit lines: any but silent)",
    }),
    auth: oneOf("BMI_AUTH", ["none", "static"], { default: "none", help: "caller authentication driver" }),
    authFile: optionalFile("BMI_AUTH_FILE", "users/projects file for BMI_AUTH=static"),
    ...tlsSpec,
    shutdownGraceMs: int("BMI_SHUTDOWN_GRACE_MS", { default: 10_000, min: 0, help: "after SIGTERM, how long in-flight calls may finish" }),
    defaultDeadlineMs: int("BMI_DEFAULT_DEADLINE_MS", { default: 120_000, min: 100, help: "deadline of calls that come without one" }),
  };
}

/** TLS material of a service: it serves with it and presents it (its identity) to the services it calls. */
export const tlsSpec = {
  tls: oneOf("BMI_TLS", ["mutual", "off"], { default: "mutual", help: "mutual: TLS with service certificates; off: plaintext, loopback only" }),
  tlsCa: optionalFile("BMI_TLS_CA", "PEM file of the CA that signs BMI's service certificates"),
  tlsCert: optionalFile("BMI_TLS_CERT", "PEM certificate of this service (its common name is its identity)"),
  tlsKey: optionalFile("BMI_TLS_KEY", "PEM private key of BMI_TLS_CERT"),
};

type ServerConfig = { listen: string; auth: string; authFile: string; tls: string; tlsCa: string; tlsCert: string; tlsKey: string };

/**
 * Cross-field rules of every service: mutual TLS needs its three files; plaintext and BMI_AUTH=none (every caller
 * an admin) are refused on any address but loopback, so a tenant's node can never reach such a service.
 */
export function serverProblems(cfg: ServerConfig, listenVar: string): string[] {
  const problems: string[] = [];
  const loopback = isLoopbackAddress(cfg.listen);
  if (cfg.tls === "mutual") {
    for (const [env, file] of [["BMI_TLS_CA", cfg.tlsCa], ["BMI_TLS_CERT", cfg.tlsCert], ["BMI_TLS_KEY", cfg.tlsKey]] as const) {
      if (!file) problems.push(`${env} is required with BMI_TLS=mutual (or set BMI_TLS=off for plaintext on loopback)`);
      else if (!readable(file)) problems.push(`${env}=${file} cannot be read`);
    }
  } else if (!loopback) {
    problems.push(`plaintext (BMI_TLS=off) is allowed only on a loopback address, not ${listenVar}=${cfg.listen}`);
  }
  if (cfg.auth === "none" && !loopback) {
    problems.push(`BMI_AUTH=none makes every caller an admin: allowed only on a loopback address, not ${listenVar}=${cfg.listen}`);
  }
  if (cfg.auth === "static" && !cfg.authFile) problems.push("BMI_AUTH=static needs BMI_AUTH_FILE");
  else if (cfg.auth === "static" && !readable(cfg.authFile)) problems.push(`BMI_AUTH_FILE=${cfg.authFile} cannot be read`);
  return problems;
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Redis and NATS locations, shared by the services that use them. */
export const redisSpec = {
  redisUrl: url("BMI_REDIS_URL", ["redis", "rediss"], { default: "redis://127.0.0.1:6379", help: "Redis; an ACL user and password go in the URL (rediss://bmi:PASS@host:6380)" }),
  redisPrefix: str("BMI_REDIS_PREFIX", { default: "bmi:", help: "key prefix, lets several stacks share a Redis" }),
  redisTlsCa: optionalFile("BMI_REDIS_TLS_CA", "PEM CA for rediss:// (default: the system's roots); user and password go in the URL"),
  redisSentinels: addresses("BMI_REDIS_SENTINELS", {
    default: [],
    help: "Redis Sentinels (host:port, comma separated): the master of BMI_REDIS_SENTINEL_MASTER is asked from them and " +
      "followed across failovers; BMI_REDIS_URL then gives only user, password, database and TLS (its host is unused). Empty: no Sentinel",
  }),
  redisSentinelMaster: str("BMI_REDIS_SENTINEL_MASTER", { default: "mymaster", help: "the master's name in the Sentinels' configuration (sentinel monitor NAME ...)" }),
  redisSentinelPasswordFile: optionalFile("BMI_REDIS_SENTINEL_PASSWORD_FILE", "file holding the Sentinels' own password (their requirepass), if they have one"),
};
export const natsSpec = {
  natsServers: list("BMI_NATS_URL", { default: ["nats://127.0.0.1:4222"], help: "NATS servers, comma separated" }),
  natsStream: str("BMI_NATS_STREAM", { default: "BMI_EVENTS", help: "JetStream stream of BMI's events (subjects bmi.job.>, bmi.node.>, bmi.boot.>)" }),
  natsUser: str("BMI_NATS_USER", { default: "", help: "NATS user (with BMI_NATS_PASSWORD_FILE)" }),
  natsPasswordFile: optionalFile("BMI_NATS_PASSWORD_FILE", "file holding BMI_NATS_USER's password"),
  natsCredsFile: optionalFile("BMI_NATS_CREDS_FILE", "NATS .creds file (JWT and nkey seed), instead of user/password"),
  natsTlsCa: optionalFile("BMI_NATS_TLS_CA", "PEM CA of the NATS servers; set it to connect with TLS"),
  natsReplicas: int("BMI_NATS_REPLICAS", {
    default: 1, min: 1, max: 5,
    help: "copies JetStream keeps of BMI's streams (events, audit); more than 1 needs a JetStream cluster of at least that many " +
      "servers: a single nats-server refuses the streams (logged as an error at start-up, readiness fails)",
  }),
};

/** The audit trail (every service): where its records go, and how long and how much the stream keeps. */
export const auditSpec = {
  auditStream: str("BMI_AUDIT_STREAM", { default: "BMI_AUDIT", help: "JetStream stream of the audit trail (subjects bmi-audit.>)" }),
  auditMaxAgeHours: int("BMI_AUDIT_MAX_AGE_HOURS", { default: 90 * 24, min: 1, help: "audit records older than this are dropped" }),
  auditMaxBytes: int("BMI_AUDIT_MAX_BYTES", { default: 1024 ** 3, min: 1 << 20, help: "size of the audit stream; past it the oldest records go" }),
};

/**
 * What every service's settings start with: serverSpec (listen, logs, auth, TLS, deadlines), Redis, NATS and the
 * audit trail. A service's config.ts spreads it and adds its own.
 */
export function chassisSpec(prefix: string, defaultListen: string) {
  return { ...serverSpec(prefix, defaultListen), ...redisSpec, ...natsSpec, ...auditSpec };
}
