import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, testPki } from "@bmi/testing";
import type { E2eStack } from "./e2e-stack";

const run = promisify(execFile);

/**
 * Runs `npm run demo`'s program against a private stack and checks the story it tells on `backend` (the demo refuses
 * to go on when image-service stores images elsewhere). Node names start with `prefix`: boot events on NATS are
 * shared by every stack on this machine, so two demos at once need different ones. Answers the program's summary.
 */
export async function tellDemoStory(s: E2eStack, opts: { prefix: string; backend: "local" | "ceph" }): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, "test", "dist", "demo", "main.js")], {
    timeout: 200_000,
    env: {
      ...process.env, BMI_DEMO_ORCH_ADDR: s.addresses.orch, BMI_DEMO_IMAGE_ADDR: s.addresses.image,
      BMI_DEMO_TARGET_ADDR: s.addresses.target, BMI_DEMO_BOOT_ADDR: s.addresses.boot, BMI_DEMO_CA: testPki().ca,
      BMI_DEMO_BOOT_HTTP_PORT: String(s.httpPort), BMI_DEMO_DIR: path.join(s.dir, "demo"), BMI_DEMO_PROJECT: "e2e-demo",
      BMI_DEMO_NODE_PREFIX: opts.prefix, BMI_DEMO_BACKEND: opts.backend,
    },
  }).catch((err: { stdout?: string; message: string }) => { throw new Error(`${err.message}\n${err.stdout ?? ""}`); });
  const p = opts.prefix;
  const where = opts.backend === "local" ? "local" : "ceph:rbd";
  assert.match(stdout, new RegExp(`image e2e-demo/demo-golden: \\d+ bytes, sha256 [0-9a-f]+\\.\\.\\., in ${where}\n`));
  assert.match(stdout, new RegExp(`disks: ${p}-1-1 \\(${where}\\), ${p}-2-1 \\(${where}\\), ${p}-3-1 \\(${where}\\)\n`));
  assert.match(stdout, new RegExp(`${p}-1\n {2}- bulk provision from demo-golden: new clone ${p}-1-1; booted it: marker demo-golden, counter 0 -> 1`));
  assert.match(stdout, new RegExp(`provision from demo-snap: new clone ${p}-2-2; booted it: marker demo-golden, counter 1 -> 2`));
  assert.match(stdout, new RegExp(`re-provision to its earlier disk: existing disk ${p}-2-1; booted it: marker demo-golden, counter 1 -> 2`));
  assert.match(stdout, /^total\s+\d+\.\d s$/m);
  return stdout.slice(stdout.indexOf("Summary"));
}
