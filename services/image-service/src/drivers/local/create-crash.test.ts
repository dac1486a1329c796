import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { QmpClient } from "@bmi/qmp";
import { REPO_ROOT, freePort, startService, testClientTls, type RunningService } from "@bmi/testing";
import { killDaemons, strayProcesses } from "../../testkit/crash";
import { rejectsWith, run, sparseImage, upload } from "../../testkit/harness";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

const HOOK = path.join(__dirname, "..", "..", "testkit", "cut-hook.js");
const o = { authorization: "" };

// Where a CreateDisk can be cut short, in the order the local driver gets there.
const CUTS: Array<[string, string]> = [
  ["before-rename:.json", "the overlay in disks/, its sidecar not renamed into place"],
  ["before-qmp:blockdev-add", "the sidecar written, nothing exported"],
  ["before-qmp:block-export-add", "the daemon holding the disk's node, not exported"],
  ["after-qmp:block-export-add", "exported, the answer lost"],
];

function fuseMountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(dir) && / - fuse/.test(l));
}

/**
 * image-service killed (SIGKILL) at each step of a CreateDisk, then started again and asked again, as the
 * orchestrator's retry does: the retry succeeds, the disk is served once and reads what was written, and nothing of
 * the first attempt is left (no file, export, node, mount or daemon beyond the disk's own).
 */
for (const keep of [false, true]) {
  describe(`local driver: CreateDisk cut short and retried (${keep ? "storage daemon kept across restarts" : "storage daemon dies with the service"})`, () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "bmi-local-cut-"));
    let address = "";
    let svc: RunningService | undefined;
    let client: PromiseClient<ImageServiceClient> | undefined;
    const start = async (cut?: string) => {
      client?.close();
      const env: Record<string, string> = {
        BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: dataDir, BMI_IMAGE_LISTEN: address, BMI_AUTH: "none",
        BMI_IMAGE_KEEP_EXPORTS: String(keep), ...(cut ? { NODE_OPTIONS: `--require ${HOOK}`, BMI_TEST_CUT: cut } : {}),
      };
      svc = await startService({ service: "image-service", main: serviceMain("image-service"), address, env, timeoutMs: 60_000 });
      client = createClient(ImageServiceClient, address, { deadlineMs: 60_000, tls: testClientTls() });
      return client;
    };
    before(async () => {
      address = `127.0.0.1:${await freePort()}`;
      await upload(await start(), "", { project: "pc", name: "img" }, sparseImage(8, [0]));
      await svc?.stop();
    });
    after(async () => {
      client?.close();
      await svc?.stop();
      try {
        // A kept daemon outlives the service: a last start without keeping adopts it and stops it.
        if (keep) {
          svc = await startService({
            service: "image-service", main: serviceMain("image-service"), address, timeoutMs: 60_000,
            env: { BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: dataDir, BMI_IMAGE_LISTEN: address, BMI_AUTH: "none" },
          });
          await svc.stop();
        }
        assert.deepEqual(await strayProcesses(dataDir, { daemonToo: true }), []);
        assert.deepEqual(fuseMountsUnder(dataDir), []);
      } finally {
        await killDaemons(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    // With the daemon dying too, a cut after the sidecar leaves the same as one before blockdev-add: nothing served.
    for (const [cut, left] of keep ? CUTS : CUTS.slice(0, 2)) {
      it(`cut with ${left}`, async () => {
        const name = `n-${cut.replace(/\W+/g, "-")}`;
        const cutShort = await start(cut);
        const exited = once(svc!.process, "exit");
        await rejectsWith(cutShort.createDisk({ project: "pc", name, image: "img" }, o), "UNAVAILABLE");
        const [, signal] = await exited as [number | null, string | null];
        assert.equal(signal, "SIGKILL", "the service did not die at the cut");

        const c = await start();
        const { disk } = await c.createDisk({ project: "pc", name, image: "img" }, o);
        const file = disk?.backing?.file?.path ?? "";
        await run("qemu-io", ["-c", "write -P 0x3c 0 64k", "-f", "raw", file]);
        await run("qemu-io", ["-c", "read -P 0x3c 0 64k", "-f", "raw", file]);
        assert.deepEqual((await c.listDisks({ project: "pc" }, o)).disks.map((d) => d.name), [name]);
        assert.equal(fuseMountsUnder(dataDir).length, 1, "one FUSE mount: the disk's");
        assert.deepEqual(readdirSync(path.join(dataDir, "disks")).length, 2, "one overlay and its sidecar");
        assert.deepEqual(readdirSync(path.join(dataDir, "tmp")), []);
        assert.deepEqual(readdirSync(path.join(dataDir, "exports")), [path.basename(file)]);

        await c.deleteDisk({ project: "pc", name }, o);
        assert.deepEqual(fuseMountsUnder(dataDir), []);
        assert.deepEqual(readdirSync(path.join(dataDir, "disks")), []);
        await svc?.stop();
        if (keep) {
          // The kept daemon, asked directly: no node an interrupted add left behind.
          const qmp = await QmpClient.connect(path.join(dataDir, "qsd", "qmp.sock"));
          try {
            const nodes = await qmp.execute<Array<{ "node-name": string }>>("query-named-block-nodes", { flat: true });
            assert.deepEqual(nodes.map((n) => n["node-name"]).filter((n) => !n.startsWith("#")), []);
            assert.deepEqual(await qmp.execute("query-block-exports"), []);
          } finally {
            qmp.close();
          }
        }
      });
    }
  });
}
