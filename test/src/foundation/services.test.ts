import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  checkHealth, findTgtd, freeControlPort, freePort, startService, stopTgtd, uniquePrefix, type RunningService,
} from "@bmi/testing";
import { ReflectionClient } from "./reflection-client";

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
      svc = await startService({ service: s.dir, address, env });
    });
    after(async () => {
      await svc?.stop();
      // target-service leaves its tgtd running on purpose (nodes keep their disks across a service restart).
      const tgtd = tgtdControlPort === undefined ? undefined : findTgtd(tgtdControlPort);
      if (tgtdControlPort !== undefined && tgtd !== undefined) await stopTgtd(tgtdControlPort, tgtd);
      rmSync(dir, { recursive: true, force: true });
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
