import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "@bmi/testing";

/**
 * No container engine runs where the tests run: this reads docker-compose.yml, the Dockerfile and .dockerignore
 * for the mistakes that were found in them, and proves nothing about a running compose stack.
 */
type Service = { environment?: Record<string, string>; network_mode?: string; ports?: string[] };
const compose = parse(readFileSync(path.join(REPO_ROOT, "docker-compose.yml"), "utf8")) as { services: Record<string, Service> };
const read = (p: string) => readFileSync(path.join(REPO_ROOT, p), "utf8");

test("compose: target-service on the host's network reaches Redis, NATS and image-service on loopback", () => {
  const target = compose.services["target-service"]!;
  assert.equal(target.network_mode, "host");
  assert.equal(target.environment?.BMI_REDIS_URL, "redis://127.0.0.1:6379");
  assert.equal(target.environment?.BMI_NATS_URL, "nats://127.0.0.1:4222");
  assert.equal(target.environment?.BMI_TARGET_IMAGE_ADDR, "127.0.0.1:50051");
  // ...which is where they are published, and only there: neither has a password in this file.
  assert.deepEqual(compose.services.redis?.ports, ["127.0.0.1:6379:6379"]);
  assert.deepEqual(compose.services.nats?.ports, ["127.0.0.1:4222:4222"]);
  assert.ok(compose.services["image-service"]?.ports?.includes("50051:50051"));
});

test("image: ipmitool installed; the build context leaves out builds, dependencies and build state", () => {
  assert.match(read("deploy/Dockerfile"), /install -y[^\n]*(\\\n[^\n]*)*\bipmitool\b/);
  const ignored = read(".dockerignore").split("\n").filter((l) => l && !l.startsWith("#"));
  for (const p of ["node_modules", "**/dist", "**/*.tsbuildinfo", ".run", ".git"]) assert.ok(ignored.includes(p), p);
});
