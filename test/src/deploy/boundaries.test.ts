import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, tempDir } from "@bmi/testing";

const run = promisify(execFile);

/**
 * The lint `npm test` runs (npm run lint:deps, .dependency-cruiser.cjs) on a small tree laid out like this one, with
 * one import of each kind it forbids and one it allows: each forbidden one is reported and the run fails.
 */
test("the package-boundary lint reports deep imports, service -> service and lib -> service imports, test support in production code, and fails", async () => {
  const dir = tempDir("bmi-boundaries-");
  const file = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  copyFileSync(path.join(REPO_ROOT, "tsconfig.base.json"), path.join(dir, "tsconfig.base.json"));
  // The tree's own @bmi/testing, offering only its index like the real one: the lint tells it by its path.
  file("libs/testing/package.json", JSON.stringify({ name: "@bmi/testing", exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } } }));
  file("libs/testing/dist/index.js", "exports.freePort = 1; exports.tempDir = 2;\n");
  file("libs/testing/dist/index.d.ts", "export declare const freePort: number, tempDir: number;\n");
  mkdirSync(path.join(dir, "node_modules", "@bmi"), { recursive: true });
  symlinkSync(path.join(dir, "libs", "testing"), path.join(dir, "node_modules", "@bmi", "testing"));
  file("services/b/src/b.ts", "export const b = 1;\n");
  file("services/a/src/main.ts", 'import { b } from "../../b/src/b";\nexport const a = b;\n');
  file("services/a/src/ok.test.ts", 'import { a } from "./main";\nimport { freePort } from "@bmi/testing";\nimport { kit } from "./testkit/kit";\nexport const ok = [a, freePort, kit];\n');
  file("services/a/src/testkit/kit.ts", 'import { tempDir } from "@bmi/testing";\nexport const kit = tempDir;\n');
  file("services/a/src/uses-kit.ts", 'import { kit } from "./testkit/kit";\nimport { freePort } from "@bmi/testing";\nexport const k = [kit, freePort];\n');
  file("services/a/src/deep.ts", 'import { tempDir } from "@bmi/testing/dist/temp";\nexport const deep = tempDir;\n');
  file("libs/l/src/internal.ts", "export const x = 1;\n");
  file("libs/l/src/index.ts", 'import { a } from "../../../services/a/src/main";\nexport const l = a;\n');
  file("libs/m/src/index.ts", 'import { x } from "../../l/src/internal";\nexport const m = x;\n');

  const cli = path.join(REPO_ROOT, "node_modules", ".bin", "depcruise");
  const result = await run(cli, ["--config", path.join(REPO_ROOT, ".dependency-cruiser.cjs"), "libs", "services"], { cwd: dir })
    .then(() => ({ code: 0, stdout: "" }), (err: { code: number; stdout: string }) => err);
  assert.notEqual(result.code, 0, "the lint fails the run");
  const found = result.stdout.split("\n").filter((l) => l.includes("error ")).map((l) => l.trim()).sort();
  assert.deepEqual(found, [
    "error no-deep-imports: libs/l/src/index.ts → services/a/src/main.ts",
    "error no-deep-imports: libs/m/src/index.ts → libs/l/src/internal.ts",
    "error no-deep-imports: services/a/src/main.ts → services/b/src/b.ts",
    "error no-lib-to-service: libs/l/src/index.ts → services/a/src/main.ts",
    "error no-service-to-service: services/a/src/main.ts → services/b/src/b.ts",
    "error no-test-support-in-production: services/a/src/uses-kit.ts → libs/testing/dist/index.d.ts",
    "error no-test-support-in-production: services/a/src/uses-kit.ts → services/a/src/testkit/kit.ts",
    "error not-to-unresolvable: services/a/src/deep.ts → @bmi/testing/dist/temp",
  ], result.stdout);
});

// No container engine runs here (see compose.test.ts): what is checked is the Dockerfile's text.
test("the container image leaves out the tests and the test support", () => {
  const dockerfile = readFileSync(path.join(REPO_ROOT, "deploy", "Dockerfile"), "utf8");
  const runtimeAt = dockerfile.indexOf("\nFROM ", dockerfile.indexOf("FROM ") + 1);
  const build = dockerfile.slice(0, runtimeAt);
  assert.match(build, /rm -rf test libs\/testing services\/\*\/dist\/testkit/);
  assert.match(build, /-name '\*\.test\.js'/);
  // Every service's test support is in that one folder: nothing else in a service's src/ is named like it.
  for (const service of readdirSync(path.join(REPO_ROOT, "services"))) {
    const src = path.join(REPO_ROOT, "services", service, "src");
    const strays = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((f) => !f.startsWith(`testkit${path.sep}`) && /(^|\/)(testing|test-support|vm-fixture|fixtures?)(\/|\.ts$)/.test(f));
    assert.deepEqual(strays, [], `services/${service}/src: test support outside src/testkit/`);
  }
  // The runtime stage copies the pruned build stage, never the context.
  assert.match(dockerfile, /COPY --from=build \/src \/app/);
  assert.doesNotMatch(dockerfile.slice(runtimeAt), /^COPY \. /m);
});
