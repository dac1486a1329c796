import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";
import { goldenImage, startStack, type Stack } from "../support/stack";

const BMI = path.join(REPO_ROOT, "services", "cli", "dist", "main.js");
let s: Stack;
let dir: string;

type Who = { user?: string; password?: string; token?: string };

/** The real `bmi`, with credentials from the environment as an operator would set them. */
function bmi(who: Who, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", BMI_ADDR: s.orchAddr, BMI_IMAGE_ADDR: s.imageAddr, BMI_PROJECT: "p1", BMI_CA: s.clientTls.ca ?? "" };
  if (who.user) Object.assign(env, { BMI_USER: who.user, BMI_PASSWORD: who.password ?? "" });
  if (who.token) env.BMI_TOKEN = who.token;
  return new Promise((resolve) => execFile(process.execPath, [BMI, ...args], { env },
    (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })));
}

const ALICE = { user: "alice", password: "alice-pw" };
const BOB = { token: "bob-token" };

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bmi-cli-auth-"));
  const usersFile = path.join(dir, "users.yaml");
  await writeFile(usersFile, [
    "users:",
    "  - {name: admin, token: admin-token, admin: true}",
    "  - {name: alice, password: alice-pw, projects: [p1]}",
    "  - {name: bob, token: bob-token, projects: [p2]}",
  ].join("\n"));
  s = await startStack({ tag: "cli-auth", auth: { usersFile, admin: "Bearer admin-token" } });
  await s.registerNodes(["a1"]);
});
after(async () => {
  await s?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a member provisions with her own credentials, forwarded to every service; others see nothing of it", async () => {
  let r = await bmi(ALICE, "image", "upload", "golden", await goldenImage(dir, 1));
  assert.equal(r.code, 0, r.stderr);
  r = await bmi(ALICE, "pro", "a1", "golden", "--json");
  assert.equal(r.code, 0, r.stderr);
  const job = JSON.parse(r.stdout) as { id: string; state: string };
  assert.equal(job.state, "JOB_STATE_SUCCEEDED");

  r = await bmi(BOB, "job", "show", job.id);
  assert.deepEqual([r.code, r.stderr.trim()], [3, `bmi: job ${job.id} not found`]);
  r = await bmi(BOB, "ls");
  assert.equal(r.code, 3, "another project's nodes are not found, not listed");
  r = await bmi(BOB, "dpro", "a1");
  assert.equal(r.code, 3);
  r = await bmi({}, "job", "ls");
  assert.deepEqual([r.code, r.stderr.trim()], [5, "bmi: missing authorization metadata (Basic or Bearer credentials)"]);
  r = await bmi({ user: "alice", password: "wrong" }, "ls");
  assert.equal(r.code, 5);
  r = await bmi(ALICE, "node", "register", "a2", "--nic", "eth0=52:54:00:bb:00:01");
  assert.equal(r.code, 5, `registering is for admins: ${r.stderr}`);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  r = await bmi({ token: "admin-token" }, "node", "register", "a2", "--nic", "eth0=52:54:00:bb:00:01");
  assert.equal(r.code, 0, r.stderr);

  r = await bmi(ALICE, "dpro", "a1", "--delete-disk", "--release");
  assert.equal(r.code, 0, r.stderr);
});
