import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { goldenImage, startStack, type Stack } from "../support/stack";
import { bmi as run, killStrays, type Run } from "./bmi";

const NODES = ["bd1", "bd2", "bd3", "bd4"];
let s: Stack;

/** The real `bmi` against this file's stack, as alice's project p1. */
const bmi = (...args: string[]): Promise<Run> => run({ BMI_ADDR: s.orchAddr, BMI_IMAGE_ADDR: s.imageAddr, BMI_PROJECT: "p1" }, args);

async function ok(...args: string[]): Promise<string> {
  const r = await bmi(...args);
  assert.equal(r.code, 0, `bmi ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  // bd2's power-off fails once per job (after it really ran): its deprovision fails, the others' do not.
  s = await startStack({ tag: "cli-bdpro", orchEnv: { BMI_ORCH_FAULTS: "power_off@bd2" } });
  await ok("image", "upload", "golden", await goldenImage(s.dir, 2));
  const inventory = path.join(s.dir, "bd.json");
  await writeFile(inventory, JSON.stringify(NODES.map((name, i) => ({ name, nics: [{ label: "eth0", mac: `52:54:00:bd:00:0${i + 1}` }] }))));
  await ok("node", "import", inventory);
  const spec = path.join(s.dir, "bd.yaml");
  await writeFile(spec, `nodes:\n${NODES.map((n) => `  - {node: ${n}, image: golden}\n`).join("")}`);
  await ok("bulk", spec);
});
after(async () => {
  killStrays();
  await s?.stop();
});

test("bmi bulk-dpro --all: one job for every node, PARTIAL naming the one that failed; --retry-failed sends exactly it, with the job's options", async () => {
  const first = await bmi("bulk-dpro", "--all", "--delete-disk", "--release");
  assert.equal(first.code, 1, first.stderr);
  const id = /job (j\S+),/.exec(first.stdout)?.[1] ?? "";
  assert.match(first.stdout, /^bulk deprovision: PARTIAL \(job j\S+, [\d.]+ s\)  3 deprovisioned, 1 failed, 0 cancelled$/m);
  assert.match(first.stdout, /node bd2 FAILED: power_off: injected fault after power_off/);
  assert.match(first.stdout, new RegExp(`retry them: bmi bulk-dpro --retry-failed ${id}`));
  assert.match(first.stderr, /1 of 4 nodes failed or were cancelled; 3 deprovisioned/);
  // The others are gone with their disks; bd2 is still provisioned, its disk kept.
  assert.deepEqual((JSON.parse(await ok("ls", "--json")) as Array<{ node: string }>).map((n) => n.node), ["bd2"]);
  assert.deepEqual((JSON.parse(await ok("disk", "ls", "--json")) as Array<{ name: string }>).map((d) => d.name), ["bd2-1"]);

  // bmi bulk would provision them: refused, naming the command that retries a bulk deprovision.
  const wrong = await bmi("bulk", "--retry-failed", id);
  assert.equal(wrong.code, 4, wrong.stderr);
  assert.match(wrong.stderr, new RegExp(`job ${id} is a bulk deprovision: bmi bulk-dpro --retry-failed ${id}`));

  // The retry is one job for bd2 alone with the first job's options (the fault fails its first try again).
  const retry = await bmi("bulk-dpro", "--retry-failed", id, "--json");
  assert.equal(retry.code, 1, retry.stderr);
  const job = JSON.parse(retry.stdout) as { state: string; total: number; childKind: string; childIds: string[] };
  assert.deepEqual([job.state, job.total, job.childKind], ["JOB_STATE_FAILED", 1, "JOB_KIND_DEPROVISION"]);
  const child = JSON.parse(await ok("job", "show", job.childIds[0]!, "--json")) as { node: string; kind: string; steps: Array<{ name: string; state: string }> };
  assert.deepEqual([child.node, child.kind], ["bd2", "JOB_KIND_DEPROVISION"]);
  const skipped = child.steps.filter((st) => st.state === "STEP_STATE_SKIPPED").map((st) => st.name);
  assert.ok(!skipped.includes("disk") && !skipped.includes("release"), `--delete-disk and --release carried over: skipped ${skipped.join(",")}`);
});
