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
type Mount = string | { type: string; source: string; target: string; bind?: { propagation?: string } };
type Service = { environment?: Record<string, string>; network_mode?: string; ports?: string[]; volumes?: Mount[] };
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

test("compose: nodes are told this host's address; the local driver's FUSE exports reach tgtd; Ceph's files mounted", () => {
  const env = (svc: string) => compose.services[svc]!.environment ?? {};
  assert.match(env("target-service").BMI_TARGET_PORTALS ?? "", /^\$\{BMI_HOST_ADDR:\?[^}]+\}:3260$/);
  assert.match(env("boot-service").BMI_BOOT_PUBLIC_URL ?? "", /^http:\/\/\$\{BMI_HOST_ADDR:\?[^}]+\}:8080$/);
  const images = (svc: string) => compose.services[svc]!.volumes?.find((v) => typeof v === "object" && v.target === "/var/lib/bmi/images");
  assert.deepEqual([images("image-service"), images("target-service"), images("tgtd")].map((m) => typeof m === "object" && [m.source, m.bind?.propagation]),
    [["/var/lib/bmi/images", "rshared"], ["/var/lib/bmi/images", "rslave"], ["/var/lib/bmi/images", "rslave"]]);
  // tgtd has a container of its own on the host's network, on target-service's control port (BMI_TGTD_CONTROL_PORT's default 7).
  const tgtd = compose.services.tgtd as Service & { command?: string[] };
  assert.equal(tgtd.network_mode, "host");
  assert.deepEqual(tgtd.command?.slice(0, 4), ["tgtd", "-f", "-C", "7"]);
  assert.equal(env("target-service").BMI_TGTD_CONTROL_PORT, undefined);
  for (const svc of ["image-service", "target-service", "tgtd"]) assert.ok(compose.services[svc]!.volumes?.includes("/etc/ceph:/etc/ceph:ro"), svc);
});

test("image: ipmitool installed; the build context leaves out builds, dependencies and build state", () => {
  assert.match(read("deploy/Dockerfile"), /install -y[^\n]*(\\\n[^\n]*)*\bipmitool\b/);
  const ignored = read(".dockerignore").split("\n").filter((l) => l && !l.startsWith("#"));
  for (const p of ["node_modules", "**/dist", "**/*.tsbuildinfo", ".run", ".git"]) assert.ok(ignored.includes(p), p);
});
