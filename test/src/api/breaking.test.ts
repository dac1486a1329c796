import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";

// deploy/breaking-check.sh in a clone of this repository, as CI has it (full history, origin/main at HEAD, no
// tag): additions pass, a removal fails with buf's own message, and a release tag becomes the baseline.
let clone: string;
const IMAGE = "proto/bmi/image/v1/image.proto";

before(async () => {
  clone = path.join(await mkdtemp(path.join(tmpdir(), "bmi-breaking-")), "repo");
  execFileSync("git", ["clone", "-q", REPO_ROOT, clone]);
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(clone, "node_modules"));
  copyFileSync(path.join(REPO_ROOT, "deploy", "breaking-check.sh"), path.join(clone, "deploy", "breaking-check.sh"));
});
after(() => rm(path.dirname(clone), { recursive: true, force: true }));

const check = () => spawnSync("bash", ["deploy/breaking-check.sh"], { cwd: clone, encoding: "utf8", env: { ...process.env, BMI_BREAKING_AGAINST: "" } });
const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd: clone });
const edit = (from: string | RegExp, to: string) => {
  const file = path.join(clone, IMAGE);
  const text = readFileSync(file, "utf8");
  assert.ok(text.match(from), `${String(from)} in ${IMAGE}`);
  writeFileSync(file, text.replace(from, to));
};

test("a clean clone has no breaking change against the first contracts", () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no breaking change against the first contracts/);
});

test("adding a field passes; removing one fails with buf's message", () => {
  edit(/message Image \{\n/, "message Image {\n  string added_for_the_test = 99;\n");
  assert.equal(check().status, 0);
  edit(/\n\s*string checksum = 4;/, "");
  const r = check();
  assert.equal(r.status, 1);
  assert.match(r.stdout, /Previously present field "4" with name "checksum" on message "Image" was deleted/);
  assert.match(r.stderr, /breaks bmi\.\*\.v1 against the first contracts/);
  git("checkout", "-q", "--", IMAGE);
});

test("the last release tag is the baseline: what it added may not go again", () => {
  edit(/message Image \{\n/, "message Image {\n  string added_in_v1_1 = 99;\n");
  git("commit", "-q", "-am", "v1.1 adds a field");
  git("tag", "v1.1.0");
  edit(/\n\s*string added_in_v1_1 = 99;/, "");
  const r = check();
  assert.equal(r.status, 1);
  assert.match(r.stdout, /Previously present field "99" with name "added_in_v1_1"/);
  assert.match(r.stderr, /against release v1\.1\.0/);
});
