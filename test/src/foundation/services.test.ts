import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  REPO_ROOT, checkHealth, findTgtd, freeControlPort, freePort, startService, stopTgtd, testPki, uniquePrefix, type RunningService,
} from "@bmi/testing";
import { ReflectionClient } from "./reflection-client";
import { serviceMain } from "../support/services";

// Every service starts as its own process with its embedded defaults, answers health, and describes its whole
// contract through reflection to a client that is not the generated TypeScript one.
const SERVICES = [
  { dir: "image-service", prefix: "BMI_IMAGE", service: "bmi.image.v1.ImageService" },
  { dir: "target-service", prefix: "BMI_TARGET", service: "bmi.target.v1.TargetService" },
  { dir: "boot-service", prefix: "BMI_BOOT", service: "bmi.boot.v1.BootService" },
  { dir: "haas-gateway", prefix: "BMI_HAAS", service: "bmi.haas.v1.HaasGateway" },
  { dir: "orchestrator", prefix: "BMI_ORCH", service: "bmi.orchestrator.v1.Orchestrator" },
];

for (const s of SERVICES) {
  describe(`${s.dir} as a process`, () => {
    let svc: RunningService;
    let address: string;
    let tgtdControlPort: number | undefined;
    const dir = mkdtempSync(path.join(tmpdir(), `bmi-${s.dir}-`));
    before(async () => {
      const port = await freePort();
      address = `127.0.0.1:${port}`;
      const env: Record<string, string> = {
        [`${s.prefix}_LISTEN`]: address,
        BMI_RUN_DIR: dir,
        BMI_DATA_DIR: dir,
        BMI_REDIS_PREFIX: uniquePrefix(s.dir),
      };
      if (s.dir === "boot-service") {
        env["BMI_BOOT_HTTP_LISTEN"] = `127.0.0.1:${await freePort()}`;
        env["BMI_BOOT_TFTP_LISTEN"] = `127.0.0.1:${await freePort()}`;
      }
      if (s.dir === "target-service") {
        tgtdControlPort = freeControlPort();
        env["BMI_TGTD_CONTROL_PORT"] = String(tgtdControlPort);
        env["BMI_TARGET_PORTALS"] = `127.0.0.1:${await freePort()}`;
      }
      svc = await startService({ service: s.dir, main: serviceMain(s.dir), address, env });
    });
    after(async () => {
      await svc?.stop();
      // target-service leaves its tgtd running on purpose (nodes keep their disks across a service restart).
      const tgtd = tgtdControlPort === undefined ? undefined : findTgtd(tgtdControlPort);
      if (tgtdControlPort !== undefined && tgtd !== undefined) await stopTgtd(tgtdControlPort, tgtd);
      rmSync(dir, { recursive: true, force: true });
    });

    it("says in one log line what it is: auth mode, TLS mode and its certificate's identity", async () => {
      const startLine = () => readFileSync(svc.logFile, "utf8").split("\n").find((l) => l.includes(" started: auth "));
      // Written just after the server starts serving: give the log a moment.
      for (let i = 0; i < 30 && !startLine(); i++) await new Promise((r) => setTimeout(r, 100));
      const started = startLine();
      assert.ok(started, "a start-up line");
      const line = JSON.parse(started) as { auth: string; tls: string; identity: string; listen: string };
      assert.deepEqual([line.auth, line.tls, line.identity, line.listen], ["none", "mutual", s.dir, address]);
    });

    it("answers health SERVING for the server and its service", async () => {
      assert.equal(await checkHealth(address, "", 2000, svc.ca), "SERVING");
      assert.equal(await checkHealth(address, s.service, 2000, svc.ca), "SERVING");
    });

    for (const version of ["v1", "v1alpha"] as const) {
      it(`lists and describes ${s.service} through reflection ${version}, resolving every imported type`, async () => {
        const rc = new ReflectionClient(address, version, svc.ca);
        try {
          const services = await rc.listServices();
          assert.ok(services.includes(s.service), `${services.join(", ")} lacks ${s.service}`);
          const svc = await rc.describe(s.service);
          assert.ok(Object.keys(svc.methods).length >= 4);
        } finally {
          rc.close();
        }
      });
    }

    it("exits 0 on SIGTERM after draining", async () => {
      assert.equal(await svc.stop(), 0);
    });
  });
}

// A tenant's node shares the network with the services: a service that would answer it in plaintext, or make every
// caller an admin, must not start at all.
describe("a service refuses to start exposed: exit 2 and one line that says why", () => {
  const run = (dir: string, env: Record<string, string>) => spawnSync(process.execPath,
    [path.join(REPO_ROOT, "services", dir, "dist", "main.js")], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 20_000 });
  for (const s of SERVICES) {
    it(`${s.dir}: plaintext or BMI_AUTH=none off loopback, mutual TLS without its files`, () => {
      const listen = { [`${s.prefix}_LISTEN`]: "0.0.0.0:1" };
      const plain = run(s.dir, { ...listen, BMI_TLS: "off", BMI_AUTH: "static", BMI_AUTH_FILE: "/dev/null" });
      assert.equal(plain.status, 2, plain.stderr);
      assert.match(plain.stderr, /plaintext \(BMI_TLS=off\) is allowed only on a loopback address/);
      const none = run(s.dir, { ...listen, ...testPki().env(s.dir), BMI_AUTH: "none" });
      assert.equal(none.status, 2, none.stderr);
      assert.match(none.stderr, /BMI_AUTH=none makes every caller an admin: allowed only on a loopback address/);
      const nofiles = run(s.dir, { [`${s.prefix}_LISTEN`]: "127.0.0.1:1" });
      assert.equal(nofiles.status, 2, nofiles.stderr);
      assert.match(nofiles.stderr, /BMI_TLS_CA is required with BMI_TLS=mutual/);
      for (const r of [plain, none, nofiles]) assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });
  }

  // Rules between settings are configuration problems like the others (libs/config's checks): exit 2, not a
  // start-up failure (1) that a supervisor would retry.
  it("settings that contradict each other: exit 2 naming both", () => {
    const base = { BMI_TLS: "off" };
    const target = run("target-service", { ...base, BMI_TARGET_PORTALS: "0.0.0.0:3260" });
    assert.equal(target.status, 2, target.stderr);
    assert.match(target.stderr, /BMI_TARGET_PORTALS has 0\.0\.0\.0:3260: set BMI_TARGET_ADVERTISE/);
    const haas = run("haas-gateway", { ...base, BMI_HAAS_DRIVER: "hil", BMI_HAAS_HIL_USER: "bmi" });
    assert.equal(haas.status, 2, haas.stderr);
    assert.match(haas.stderr, /BMI_HAAS_HIL_USER needs BMI_HAAS_HIL_PASSWORD_FILE\n\s+BMI_HAAS_HIL_URL is required with BMI_HAAS_DRIVER=hil/);
    const orch = run("orchestrator", { ...base, BMI_ORCH_PASS_CREDENTIALS: "true" });
    assert.equal(orch.status, 2, orch.stderr);
    assert.match(orch.stderr, /BMI_ORCH_PASS_CREDENTIALS=true needs BMI_ORCH_CREDENTIAL_KEY_FILE/);
  });
});
