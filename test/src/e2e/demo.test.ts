import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, testPki } from "@bmi/testing";
import { startE2eStack, type E2eStack } from "./e2e-stack";

const run = promisify(execFile);
let s: E2eStack;

before(async () => { s = await startE2eStack({ tag: "demo" }); });
after(() => s?.stop());

// `npm run demo` is the README's first command: its program runs here against a private stack, so it cannot rot.
test("the demo program tells its whole story and exits 0", { timeout: 240_000 }, async () => {
  const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, "test", "dist", "demo", "main.js")], {
    timeout: 200_000,
    env: {
      ...process.env, BMI_DEMO_ORCH_ADDR: s.addresses.orch, BMI_DEMO_IMAGE_ADDR: s.addresses.image,
      BMI_DEMO_TARGET_ADDR: s.addresses.target, BMI_DEMO_BOOT_ADDR: s.addresses.boot, BMI_DEMO_CA: testPki().ca,
      BMI_DEMO_BOOT_HTTP_PORT: String(s.httpPort), BMI_DEMO_DIR: path.join(s.dir, "demo"), BMI_DEMO_PROJECT: "e2e-demo",
    },
  }).catch((err: { stdout?: string; message: string }) => { throw new Error(`${err.message}\n${err.stdout ?? ""}`); });
  assert.match(stdout, /demo-1\n {2}- bulk provision from demo-golden: new clone demo-1-1; booted it: marker demo-golden, counter 0 -> 1/);
  assert.match(stdout, /provision from demo-snap: new clone demo-2-2; booted it: marker demo-golden, counter 1 -> 2/);
  assert.match(stdout, /re-provision to its earlier disk: existing disk demo-2-1; booted it: marker demo-golden, counter 1 -> 2/);
  assert.match(stdout, /^total\s+\d+\.\d s$/m);
  console.log(stdout.slice(stdout.indexOf("Summary")).replace(/^/gm, "# "));
});
