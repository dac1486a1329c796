import { address, int, list, oneOf, str, url } from "./fields";

/**
 * Settings every service has: where it listens, logging, auth, deadlines and shutdown. `prefix` is the service's
 * own (BMI_IMAGE, BMI_TARGET, ...) for the listen address; the rest is shared (BMI_LOG_LEVEL, BMI_AUTH, ...).
 */
export function serverSpec(prefix: string, defaultListen: string) {
  return {
    listen: address(`${prefix}_LISTEN`, { default: defaultListen, help: "host:port for gRPC" }),
    logLevel: oneOf("BMI_LOG_LEVEL", ["trace", "debug", "info", "warn", "error", "fatal", "silent"], { default: "info" }),
    auth: oneOf("BMI_AUTH", ["none", "static"], { default: "none", help: "caller authentication driver" }),
    authFile: str("BMI_AUTH_FILE", { default: "", help: "users/projects file for BMI_AUTH=static" }),
    shutdownGraceMs: int("BMI_SHUTDOWN_GRACE_MS", { default: 10_000, min: 0 }),
    defaultDeadlineMs: int("BMI_DEFAULT_DEADLINE_MS", { default: 120_000, min: 100 }),
  };
}

/** Redis and NATS locations, shared by the services that use them. */
export const redisSpec = {
  redisUrl: url("BMI_REDIS_URL", ["redis", "rediss"], { default: "redis://127.0.0.1:6379" }),
  redisPrefix: str("BMI_REDIS_PREFIX", { default: "bmi:", help: "key prefix, lets several stacks share a Redis" }),
};
export const natsSpec = {
  natsServers: list("BMI_NATS_URL", { default: ["nats://127.0.0.1:4222"] }),
  natsStream: str("BMI_NATS_STREAM", { default: "BMI_EVENTS" }),
};
