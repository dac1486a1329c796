import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

// No Docker engine runs here: the compose file is checked by parsing it, against what the stack must have.
const ROOT = path.resolve(__dirname, "..", "..", "..");
interface Svc {
  image?: string; build?: { context: string; dockerfile: string }; command?: string[]; ports?: string[];
  environment?: Record<string, string>; healthcheck?: { test: string[] }; depends_on?: Record<string, unknown>;
  network_mode?: string;
}
const compose = parse(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as { services: Record<string, Svc> };
const BMI = { "image-service": 50051, "target-service": 50052, "boot-service": 50053, "haas-gateway": 50054, orchestrator: 50050 };

it("has nats with JetStream and redis with persistence, both health-checked", () => {
  const { nats, redis } = compose.services;
  assert.ok(nats?.command?.includes("-js"), "nats must run with JetStream");
  assert.ok(redis?.command?.join(" ").includes("--appendonly yes"), "redis must persist");
  assert.ok(nats?.healthcheck?.test.length && redis?.healthcheck?.test.length);
});

it("runs every service from the one Dockerfile, on its port, health-checked, after redis and nats", () => {
  for (const [name, port] of Object.entries(BMI)) {
    const s = compose.services[name];
    assert.ok(s, `${name} missing`);
    assert.equal(s.build?.dockerfile, "deploy/Dockerfile", name);
    assert.equal(s.environment?.["BMI_SERVICE"], name);
    assert.ok(s.network_mode === "host" || s.ports?.some((p) => p.startsWith(`${port}:`)), `${name} must publish ${port}`);
    assert.ok(s.healthcheck?.test.includes("deploy/healthcheck.js"), `${name} health check`);
    assert.ok(s.depends_on?.["redis"] && s.depends_on["nats"], `${name} depends on redis and nats`);
  }
  assert.ok(existsSync(path.join(ROOT, "deploy", "Dockerfile")));
  assert.match(readFileSync(path.join(ROOT, "deploy", "Dockerfile"), "utf8"), /services\/\$\{BMI_SERVICE\}\/dist\/main\.js/);
});
