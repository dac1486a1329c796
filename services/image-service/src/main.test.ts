import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { createClient } from "@bmi/grpc";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { REPO_ROOT, freePort, startService, testClientTls, type RunningService } from "@bmi/testing";
import { strayProcesses } from "./testkit/crash";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

describe("image-service process", () => {
  let svc: RunningService | undefined;
  const root = mkdtempSync(path.join(tmpdir(), "bmi-image-main-"));
  after(async () => {
    await svc?.stop(5000);
    rmSync(root, { recursive: true, force: true });
  });

  it("starts with no configuration (local driver under BMI_DATA_DIR/images), serves, stops cleanly", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    // Only the listen address and the data root differ from the defaults, so tests never meet a running stack.
    svc = await startService({ service: "image-service", main: serviceMain("image-service"), address, env: { BMI_IMAGE_LISTEN: address, BMI_DATA_DIR: root } });
    const client = createClient(ImageServiceClient, address, { deadlineMs: 5000, tls: testClientTls() });
    try {
      const res = await client.listImages({ project: "", includePublic: true, pageSize: 0, pageToken: "" });
      assert.deepEqual(res.images, []);
    } finally {
      client.close();
    }
    assert.ok(existsSync(path.join(root, "images", "qsd", "qsd.pid")), "storage daemon under BMI_DATA_DIR/images");
    // SIGTERM: exit 0 once in-flight calls are done; 30 s before the kill, since a loaded CI machine is slow to exit.
    assert.equal(await svc.stop(30_000), 0);
    // SIGTERM stops the storage daemon too (BMI_IMAGE_KEEP_EXPORTS is off by default).
    assert.deepEqual(await strayProcesses(root, { daemonToo: true }), []);
  });

  it("refuses a second instance on the same store at start-up, and starts once the first is gone", async () => {
    const start = async () => {
      const address = `127.0.0.1:${await freePort()}`;
      return startService({ service: "image-service", main: serviceMain("image-service"), address, logDir: root, env: { BMI_IMAGE_LISTEN: address, BMI_DATA_DIR: root } });
    };
    svc = await start();
    // The local driver's files and FUSE exports belong to one process: the second exits before serving, saying why.
    const second = await start().then(() => undefined, (err: Error) => err);
    assert.ok(second instanceof Error, "a second instance on the same store started");
    const log = readFileSync(/log: (\S+)$/.exec(second.message)?.[1] ?? "", "utf8");
    assert.match(log, new RegExp(`another image-service \\(pid ${svc.pid}\\) is using ${path.join(root, "images")}`));
    // Its claim goes with the process, even a killed one: the next start on the store succeeds.
    await svc.kill();
    svc = await start();
    assert.equal(await svc.stop(30_000), 0);
    assert.deepEqual(await strayProcesses(root, { daemonToo: true }), []);
  });
});
