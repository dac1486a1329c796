import path from "node:path";
import { freeControlPort, freePort, startServiceOnFreePort, testPki } from "@bmi/testing";
import { serviceMain } from "../support/services";

/**
 * A test-like process for die-with-test.test.ts: `node die-with-test-parent.js DIR PREFIX` starts image-service (local
 * driver, its storage daemon detached as BMI_IMAGE_KEEP_EXPORTS has it) and target-service with no tgtd on its control
 * port (it starts one itself, detached, as in production), prints what it started as one JSON line and waits to be
 * killed. It stops nothing: the test kills it.
 */
async function main(): Promise<void> {
  const [dir, prefix] = process.argv.slice(2);
  if (!dir || !prefix) throw new Error("usage: die-with-test-parent DIR PREFIX");
  const common = { BMI_AUTH: "none", BMI_REDIS_PREFIX: prefix, BMI_DATA_DIR: dir, BMI_LOG_LEVEL: "warn" };
  const image = await startServiceOnFreePort({ service: "image-service", main: serviceMain("image-service"), logDir: dir,
    env: { ...common, BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: path.join(dir, "images"), BMI_IMAGE_KEEP_EXPORTS: "true" } }, "BMI_IMAGE_LISTEN");
  const controlPort = freeControlPort();
  const target = await startServiceOnFreePort({ service: "target-service", main: serviceMain("target-service"), logDir: dir,
    env: { ...common, BMI_TGTD_CONTROL_PORT: String(controlPort), BMI_TARGET_PORTALS: `127.0.0.1:${await freePort()}`, BMI_TARGET_IMAGE_ADDR: image.address } },
  "BMI_TARGET_LISTEN");
  // Its temporaries (the test PKI) for the test to remove: killed, this process never runs its exit hook.
  const tempDirs = [testPki().dir, path.dirname(testPki().foreign.cert)];
  process.stdout.write(`${JSON.stringify({ mark: process.env.BMI_TEST_OWNER, controlPort, services: [image.pid, target.pid], tempDirs })}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`die-with-test-parent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
