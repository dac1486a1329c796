import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";
import { goldenImage, startStack, type Stack } from "../support/stack";

const BMI = path.join(REPO_ROOT, "services", "cli", "dist", "main.js");
let s: Stack;

interface Run { code: number; stdout: string; stderr: string }

/** Runs the real `bmi` binary against this file's stack. */
function bmi(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BMI, ...args], {
      env: { PATH: process.env.PATH, BMI_ADDR: s.orchAddr, BMI_IMAGE_ADDR: s.imageAddr, BMI_PROJECT: "p1", BMI_CA: s.clientTls.ca },
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await bmi(...args);
  assert.equal(r.code, 0, `bmi ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function fails(code: number, pattern: RegExp, ...args: string[]): Promise<void> {
  const r = await bmi(...args);
  assert.equal(r.code, code, `bmi ${args.join(" ")}: exit ${r.code}, stderr ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split("\n").length, 1, "one line for an error");
}

before(async () => {
  s = await startStack({ tag: "cli" });
});
after(() => s?.stop());

test("bmi image: upload with checksum, list, show, download the same bytes, copy, rename, publish, remove", async () => {
  const file = await goldenImage(s.dir, 2);
  const sum = createHash("sha256").update(await readFile(file)).digest("hex");
  assert.match(await ok("image", "upload", "golden", file), /uploaded image p1\/golden/);
  const list = JSON.parse(await ok("image", "ls", "--json")) as Array<{ name: string; checksum: string }>;
  assert.deepEqual(list.map((i) => [i.name, i.checksum]), [["golden", sum]]);
  assert.match(await ok("image", "show", "golden"), /golden/);
  const out = path.join(s.dir, "back.raw");
  await ok("image", "download", "golden", out);
  assert.equal(createHash("sha256").update(await readFile(out)).digest("hex"), sum);
  await ok("image", "cp", "golden", "g2");
  await ok("image", "mv", "g2", "g3");
  await ok("image", "public", "g3");
  await ok("image", "rm", "g3");
  await fails(3, /not found/, "image", "show", "g3");
  const table = await ok("image", "ls");
  assert.match(table.split("\n")[0] ?? "", /^NAME\s+PROJECT\s+SIZE\s+BACKEND/);
  assert.match(table, /^golden\s+p1\s+.*\blocal\b/m);
});

test("bmi node: register, import an inventory, refusals with exit codes", async () => {
  assert.match(await ok("node", "register", "cn1", "--nic", "eth0=52:54:00:aa:00:01", "--meta", "rack=r1"), /registered node cn1/);
  assert.match(await ok("node", "show", "cn1"), /^nic {10}eth0 52:54:00:aa:00:01\nmetadata {5}rack=r1$/m, "no network yet: no trailing space");
  const inv = path.join(s.dir, "inventory.yaml");
  await writeFile(inv, "nodes:\n" + [2, 3, 4, 5].map((i) => `  - name: cn${i}\n    nics: {eth0: "52:54:00:aa:00:0${i}"}\n`).join(""));
  await ok("node", "import", inv);
  const nodes = JSON.parse(await ok("node", "ls", "--all", "--json")) as Array<{ name: string }>;
  assert.deepEqual(nodes.map((n) => n.name).filter((n) => n.startsWith("cn")).sort(), ["cn1", "cn2", "cn3", "cn4", "cn5"]);
  await fails(4, /cn1/, "node", "register", "cn1", "--nic", "eth0=52:54:00:aa:00:09");
  await fails(2, /MAC address "zz" is invalid/, "node", "register", "bad", "--nic", "eth0=zz");
  await fails(2, /at least one --nic/, "node", "register", "bad");
});

test("bmi pro (with --hostname and --user-data FILE), ls, job, node show, snap, dpro; unregister refused while provisioned", async () => {
  const userData = path.join(s.dir, "init.sh");
  await writeFile(userData, "#!/bin/sh\necho hello from cn1\n");
  assert.match(await ok("pro", "cn1", "golden", "--network", "net1", "--hostname", "web-cn1", "--user-data", userData),
    /provision cn1: SUCCEEDED .* disk cn1-1/);
  // What the node's OS will read as its NoCloud meta-data and user-data (boot-service serves it only to the node).
  assert.deepEqual((await s.boot.getBootConfig({ node: "cn1" })).config?.metadata,
    { hostname: "web-cn1", userData: "#!/bin/sh\necho hello from cn1\n" });
  const prov = JSON.parse(await ok("ls", "--json")) as Array<{ node: string; state: string; disk: string }>;
  assert.deepEqual(prov.map((p) => [p.node, p.state, p.disk]), [["cn1", "NODE_STATE_READY", "cn1-1"]]);
  const jobs = JSON.parse(await ok("job", "ls", "--json")) as Array<{ id: string; kind: string; state: string }>;
  assert.equal(jobs[0]?.state, "JOB_STATE_SUCCEEDED");
  const shown = await ok("job", "show", jobs[0]!.id);
  assert.match(shown, /boot_config\s+SUCCEEDED/);
  assert.match(await ok("node", "show", "cn1"), /provisioned\s+disk cn1-1/);
  assert.match(await ok("disk", "ls"), /^cn1-1\s+p1\/golden\s+.*\blocal\b/m);
  await fails(4, /provisioned/, "node", "unregister", "cn1");
  assert.match(await ok("snap", "create", "cn1", "cn1-snap"), /SUCCEEDED/);
  assert.match(await ok("snap", "ls"), /cn1-snap/);
  await ok("dpro", "cn1", "--delete-disk", "--release");
  assert.equal((JSON.parse(await ok("ls", "--json")) as unknown[]).length, 0);
  await ok("node", "unregister", "cn1");
});

test("bmi bulk --count with --json, and job watch replays every event", async () => {
  const job = JSON.parse(await ok("bulk", "--count", "3", "--image", "golden", "--json")) as { id: string; state: string; succeeded: number };
  assert.equal(job.state, "JOB_STATE_SUCCEEDED");
  assert.equal(job.succeeded, 3);
  const lines = (await ok("job", "watch", job.id, "--from-start", "--json")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok("created" in lines[0]!);
  assert.equal(lines.filter((l) => "childFinished" in l).length, 3);
  assert.ok("finished" in lines.at(-1)!);
  assert.match(await ok("job", "ls", "--all"), /provision/);
});

test("exit codes: failed job 1, usage 2, not found 3, unreachable 6", async () => {
  await fails(1, /check_node/, "pro", "nosuchnode", "golden");
  await fails(2, /missing NODE/, "pro");
  await fails(2, /^bmi: cannot read \/nonexistent\/init\.sh: no such file$/m, "pro", "nosuchnode", "golden", "--user-data", "/nonexistent/init.sh");
  await fails(2, /unknown command/, "frobnicate");
  await fails(3, /not found/, "job", "show", "jnosuchjob");
  await fails(6, /unreachable/, "job", "ls", "--addr", "127.0.0.1:1", "--timeout", "2");
});

test("bmi bulk FILE: a YAML list of node specs", async () => {
  const inv = path.join(s.dir, "more.json");
  await writeFile(inv, JSON.stringify([{ name: "cn6", nics: [{ label: "eth0", mac: "52:54:00:aa:00:06" }] },
    { name: "cn7", nics: { eth0: "52:54:00:aa:00:07" } }]));
  await ok("node", "import", inv);
  const spec = path.join(s.dir, "bulk.yaml");
  await writeFile(spec, "nodes:\n  - {node: cn6, image: golden}\n  - {node: cn7, image: golden, network: net2}\n");
  const job = JSON.parse(await ok("bulk", spec, "--json", "--max-parallel", "1")) as { state: string; succeeded: number };
  assert.deepEqual([job.state, job.succeeded], ["JOB_STATE_SUCCEEDED", 2]);
  assert.match(await ok("dpro", "cn6", "cn7"), /deprovision cn6: SUCCEEDED[\s\S]*deprovision cn7: SUCCEEDED/);
  const bad = path.join(s.dir, "bad.yaml");
  await writeFile(bad, "hosts: 3\n");
  await fails(2, /expected a list of nodes/, "bulk", bad);
  await fails(2, /cannot read/, "bulk", path.join(s.dir, "missing.yaml"));
});

test("bmi bulk keeps the nodes that succeeded (PARTIAL, exit 1, each failure named); --retry-failed provisions just the others", async () => {
  const spec = path.join(s.dir, "partial.yaml");
  await ok("node", "import", await inventory("partial.json", [["cn8", "08"]]));
  // cn9 is not registered yet: its check_node fails, cn8 stays provisioned.
  await writeFile(spec, "nodes:\n  - {node: cn8, image: golden}\n  - {node: cn9, image: golden}\n");
  const first = await bmi("bulk", spec);
  assert.equal(first.code, 1, first.stderr);
  const id = /job (j\S+),/.exec(first.stdout)?.[1] ?? "";
  assert.match(first.stdout, /bulk: PARTIAL .*1 succeeded, 1 failed/);
  assert.match(first.stdout, /node cn9 FAILED: check_node: .*cn9/);
  assert.match(first.stdout, new RegExp(`retry them: bmi bulk --retry-failed ${id}`));
  assert.deepEqual((JSON.parse(await ok("ls", "--json")) as Array<{ node: string }>).map((n) => n.node).filter((n) => /^cn[89]$/.test(n)), ["cn8"]);

  await ok("node", "import", await inventory("partial2.json", [["cn9", "09"]]));
  const retry = JSON.parse(await ok("bulk", "--retry-failed", id, "--json")) as { state: string; total: number; childIds: string[] };
  assert.deepEqual([retry.state, retry.total], ["JOB_STATE_SUCCEEDED", 1]);
  const child = JSON.parse(await ok("job", "show", retry.childIds[0]!, "--json")) as { node: string };
  assert.equal(child.node, "cn9");
  await ok("dpro", "cn8", "cn9");
});

async function inventory(name: string, nodes: Array<[string, string]>): Promise<string> {
  const file = path.join(s.dir, name);
  await writeFile(file, JSON.stringify(nodes.map(([n, mac]) => ({ name: n, nics: [{ label: "eth0", mac: `52:54:00:aa:00:${mac}` }] }))));
  return file;
}
