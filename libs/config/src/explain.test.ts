import { it } from "node:test";
import assert from "node:assert/strict";
import { address, int, list, str, url } from "./fields";
import { configReference, configText, helpText, masked } from "./explain";
import { loadConfig } from "./load";

const spec = {
  listen: address("BMI_X_LISTEN", { default: "127.0.0.1:1", help: "host:port for gRPC" }),
  redis: url("BMI_REDIS_URL", ["redis", "rediss"], { default: "redis://127.0.0.1:6379", help: "Redis" }),
  nats: list("BMI_NATS_URL", { default: ["nats://127.0.0.1:4222"], help: "NATS servers" }),
  workers: int("BMI_X_WORKERS", { default: 4, help: "workers" }),
  pool: str("BMI_X_POOL", { help: "the pool" }),
};

it("masks the password of every URL in a value, and nothing else", () => {
  assert.equal(masked("rediss://bmi:s3cr@t@h:6380/0"), "rediss://bmi:****@h:6380/0");
  assert.equal(masked("nats://u:p@a:4222,nats://b:4222,nats://v:q@c:1"), "nats://u:****@a:4222,nats://b:4222,nats://v:****@c:1");
  assert.equal(masked("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  assert.equal(masked("/etc/bmi/pass:word"), "/etc/bmi/pass:word");
});

it("--help lists every variable with its default (or required) and help; --print-config the parsed values", () => {
  const help = helpText("x-service", spec);
  assert.match(help, /^usage: x-service \[--help \| --print-config\]/);
  assert.match(help, /BMI_X_WORKERS +4 +workers/);
  assert.match(help, /BMI_X_POOL +\(required\) +the pool/);
  const cfg = loadConfig(spec, { BMI_X_POOL: "rbd", BMI_REDIS_URL: "rediss://bmi:hunter2@h:6380" });
  const text = configText(spec, cfg);
  assert.ok(!text.includes("hunter2"));
  assert.equal(text, "BMI_X_LISTEN=127.0.0.1:1\nBMI_REDIS_URL=rediss://bmi:****@h:6380\nBMI_NATS_URL=nats://127.0.0.1:4222\nBMI_X_WORKERS=4\nBMI_X_POOL=rbd\n");
});

it("the reference puts what several services read in one table, the rest under each service", () => {
  const doc = configReference([{ service: "a", spec }, { service: "b", spec: { listen: spec.listen, redis: spec.redis } }]);
  assert.match(doc, /## Shared by several services\n\n\| variable \| default \| services \| meaning \|\n\|---\|---\|---\|---\|\n\| `BMI_X_LISTEN` \| `127\.0\.0\.1:1` \| a, b \| host:port for gRPC \|/);
  assert.match(doc, /## a\n\n.*\n.*\n\| `BMI_NATS_URL` \| `nats:\/\/127\.0\.0\.1:4222` \| NATS servers \|\n\| `BMI_X_WORKERS` \| `4` \| workers \|\n\| `BMI_X_POOL` \| \(required\) \| the pool \|\n\n## b\n/);
});
