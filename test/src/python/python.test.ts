import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { goldenImage, startStack, type Stack } from "../support/stack";

// Debian's interpreter, not the first python3 on the PATH (a pyenv or a venv): python3-grpcio and python3-protobuf
// are installed for it.
const PYTHON = "/usr/bin/python3";
const CLIENT = path.join(REPO_ROOT, "clients", "python");
const ADMIN = "admin-token";

let s: Stack;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bmi-python-"));
  const usersFile = path.join(dir, "users.yaml");
  await writeFile(usersFile, [
    "users:",
    `  - {name: admin, token: ${ADMIN}, admin: true}`,
    "  - {name: alice, password: alice-pw, projects: [p1]}",
    "  - {name: bob, token: bob-token, projects: [p2]}",
  ].join("\n"));
  s = await startStack({ tag: "python", auth: { usersFile, admin: `Bearer ${ADMIN}` } });
  await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir, 1), format: ImageFormat.IMAGE_FORMAT_RAW, public: false },
    { authorization: `Bearer ${ADMIN}` });
});
after(async () => {
  await s?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs one script of clients/python/tests against the stack as alice; answers the JSON line it prints. */
async function python(script: string, node: string, mac: string): Promise<Record<string, unknown>> {
  const env = {
    ...process.env, PYTHONPATH: CLIENT, PYTHONDONTWRITEBYTECODE: "1",
    BMI_ADDR: s.orchAddr, BMI_IMAGE_ADDR: s.imageAddr, BMI_CA: s.clientTls.ca, BMI_PROJECT: "p1",
    BMI_USER: "alice", BMI_PASSWORD: "alice-pw", BMI_TOKEN: "",
    BMI_TEST_ADMIN_TOKEN: ADMIN, BMI_TEST_OUTSIDER_TOKEN: "bob-token", BMI_TEST_NODE: node, BMI_TEST_MAC: mac,
  };
  const child = spawn(PYTHON, [path.join(CLIENT, "tests", script)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const kill = setTimeout(() => child.kill("SIGKILL"), 180_000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(kill);
  assert.equal(code, 0, `${script} exited ${code}:\n${err}`);
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
}

test("python: register a node, upload an image, provision, follow the job's events to the end, deprovision", async (t) => {
  const r = await python("provision_flow.py", "py1", "52:54:00:0f:00:01");
  t.diagnostic(JSON.stringify(r));
  assert.deepEqual(r["image"], "py-golden");
  for (const step of ["disk", "target", "boot_config", "network"]) assert.ok((r["steps"] as string[]).includes(step), step);
  // What Python saw, checked from this side: the job is the service's, and deprovisioning removed the disk.
  const { job } = await s.orch.getJob({ id: r["provision"] as string }, { authorization: `Bearer ${ADMIN}` });
  assert.equal(job?.node, "py1");
  await assert.rejects(s.image.getDisk({ project: "p1", name: r["disk"] as string }, { authorization: `Bearer ${ADMIN}` }));
});

test("python: a durable JetStream consumer gets both jobs' events and the node's states, again after a crash", async (t) => {
  const r = await python("events_consumer.py", "py2", "52:54:00:0f:00:02");
  t.diagnostic(JSON.stringify(r));
  const states = r["node_states"] as string[];
  assert.equal(states[0], "NODE_STATE_PROVISIONING");
  assert.equal(states.at(-1), "NODE_STATE_DEPROVISIONED");
  assert.ok((r["redelivered"] as number) > 0);
});
