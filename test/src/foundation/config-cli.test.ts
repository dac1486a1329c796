import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { serviceMain } from "../support/services";

// libs/config as the services' processes use it (its own tests never run a service: libs do not know where they are).

it("a service exits non-zero and names each problem on bad config", () => {
  const main = serviceMain("image-service");
  const r = spawnSync(process.execPath, [main], {
    env: { ...process.env, BMI_LOG_LEVEL: "loud", BMI_SHUTDOWN_GRACE_MS: "soon", BMI_AUTH: "kerberos" }, encoding: "utf8", timeout: 20_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /BMI_LOG_LEVEL=loud/);
  assert.match(r.stderr, /BMI_SHUTDOWN_GRACE_MS=soon/);
  assert.match(r.stderr, /BMI_AUTH=kerberos/);
});

it("a real service answers --help and --print-config (masked) and exits 0 without starting", () => {
  const main = serviceMain("orchestrator");
  const env = { PATH: process.env.PATH ?? "", BMI_TLS: "off", BMI_REDIS_URL: "rediss://bmi:hunter2@127.0.0.1:1" };
  const help = spawnSync(process.execPath, [main, "--help"], { env, encoding: "utf8", timeout: 20_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /BMI_ORCH_LEASE_MS +15000 +a dead instance's jobs resume after this/);
  const printed = spawnSync(process.execPath, [main, "--print-config"], { env, encoding: "utf8", timeout: 20_000 });
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /^BMI_REDIS_URL=rediss:\/\/bmi:\*\*\*\*@127\.0\.0\.1:1$/m);
  assert.match(printed.stdout, /^BMI_TLS=off$/m);
  assert.ok(!printed.stdout.includes("hunter2"));
  const bad = spawnSync(process.execPath, [main, "--print-config"], { env: { ...env, BMI_ORCH_LEASE_MS: "soon" }, encoding: "utf8", timeout: 20_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /BMI_ORCH_LEASE_MS=soon is not an integer/);
});
