import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { mapLimit } from "@bmi/async";
import { REPO_ROOT } from "@bmi/testing";
import { PowerSpec } from "@bmi/proto/bmi/haas/v1/haas";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { startFakeQmp, type FakeQmp } from "../orchestrator/fake-qmp";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

const CLI = path.join(REPO_ROOT, "services", "cli");
const BMI = path.join(CLI, "bin", "bmi.js");
interface Run { code: number; stdout: string; stderr: string }

/** The committed launcher, as `npx bmi` runs it, with exactly `env` (no HOME: no personal config file) and `stdin`. */
function bmi(env: Record<string, string>, args: string[], stdin = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(BMI, args, { env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe("without a service", () => {
  test("npx bmi: the launcher is committed, executable and what package.json and package-lock.json name", async () => {
    accessSync(BMI, constants.X_OK);
    const pkg = JSON.parse(readFileSync(path.join(CLI, "package.json"), "utf8")) as { version: string; bin: Record<string, string> };
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { bin?: unknown }> };
    assert.deepEqual(pkg.bin, { bmi: "bin/bmi.js" });
    assert.deepEqual(lock.packages["services/cli"]?.bin, pkg.bin, "npm ci refuses a lock whose bin differs from package.json's");
    const r = await bmi({}, ["--version"]);
    assert.deepEqual(r, { code: 0, stdout: `bmi ${pkg.version}\n`, stderr: "" });
  });

  test("help: every command, every option described, an example each; bmi help CMD, CMD --help and group help", async () => {
    const list = JSON.parse((await bmi({}, ["help", "--json"])).stdout) as Array<{ name: string; example: string; options: Record<string, { help: string }> }>;
    // Two processes per command, four at a time: a start-up of the CLI each, the bulk of this test's time.
    const answers = await mapLimit(list, 4, async (c) => Promise.all([bmi({}, ["help", ...c.name.split(" ")]), bmi({}, [...c.name.split(" "), "--help"])]));
    for (const [i, c] of list.entries()) {
      assert.match(c.example, /^bmi /, `${c.name}: an example`);
      for (const [o, f] of Object.entries(c.options)) assert.ok(f.help.length > 5, `${c.name} --${o}: described`);
      const [help, flag] = answers[i]!;
      assert.equal(help.code, 0, help.stderr);
      assert.deepEqual(flag, help);
      for (const o of Object.keys(c.options)) assert.match(help.stdout, new RegExp(`--${o}\\b`), `bmi help ${c.name} names --${o}`);
      assert.match(help.stdout, /\nExample:\n  bmi /);
      assert.doesNotMatch(help.stdout.split("\n")[0]!, /\s$/, `bmi help ${c.name}: no trailing space on the usage line`);
    }
    const pro = (await bmi({}, ["help", "pro"])).stdout;
    for (const o of ["--key", "--no-wait", "--boot-timeout", "--password-file", "--password-stdin", "--context"]) assert.ok(pro.includes(o), o);
    for (const [cmd, flags] of [["bulk", ["--min-count M"]], ["lease create", ["--network NET", "--min-count M"]]] as const) {
      const line = (await bmi({}, ["help", ...cmd.split(" ")])).stdout.split("\n")[0]!;
      for (const f of flags) assert.ok(line.includes(`[${f}]`), `the usage line of bmi ${cmd} names ${f}: ${line}`);
    }
    for (const args of [["image"], ["node", "--help"], ["help", "node"]]) {
      const r = await bmi({}, args);
      assert.match(r.stdout, /^usage: bmi (image|node) <command>/, args.join(" "));
      assert.equal(r.code, args.length === 1 ? 2 : 0);
    }
    assert.match((await bmi({}, ["node", "--help"])).stdout, /node set .*\n(.*\n)*  node ls/);
    const bad = await bmi({}, ["help", "pro", "x"]);
    assert.deepEqual([bad.code, bad.stderr], [2, "bmi: no command \"pro x\" (bmi help lists them)\n"]);
  });

  test("completion: bash and zsh complete groups, commands and each command's flags", async () => {
    const script = (await bmi({}, ["completion", "bash"])).stdout;
    const complete = (words: string[]) => new Promise<string>((resolve, reject) => execFile("bash", ["-c",
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _bmi; echo "\${COMPREPLY[*]}"`],
    (err, out) => (err ? reject(err) : resolve(out.trim()))));
    assert.equal(await complete(["bmi", "ima"]), "image");
    assert.equal(await complete(["bmi", "image", "up"]), "upload");
    assert.equal(await complete(["bmi", "node", "set", "n1", "--ipmi"]), "--ipmi-password-file");
    assert.equal(await complete(["bmi", "pro", "n1", "--boot-t"]), "--boot-timeout");
    assert.equal(await complete(["bmi", "completion", ""]), "bash zsh");
    // zsh: the generated _bmi runs in a real zsh; only the completion system's output builtins (_describe,
    // _arguments, compadd) are replaced by functions that print what _bmi handed them, since they need a terminal.
    const zshFile = path.join(tmpdir(), `bmi-zsh-${process.pid}`);
    await writeFile(zshFile, (await bmi({}, ["completion", "zsh"])).stdout);
    const zshComplete = (words: string[]) => new Promise<string>((resolve, reject) => execFile("zsh", ["-c", [
      `source ${zshFile}`, "compdef() { :; }",
      "_describe() { local -a a; a=(\"${(@P)2}\"); print -r -- \"${a[@]%%:*}\"; }",
      "_arguments() { print -rl -- \"$@\"; }", "compadd() { print -r -- \"$*\"; }",
      `words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}; _bmi`,
    ].join("\n")], (err, out) => (err ? reject(err) : resolve(out.trim()))));
    try {
      assert.equal(await zshComplete(["bmi", "image", "up"]), "ls show import upload download cp mv rm public");
      assert.match(await zshComplete(["bmi", "image", "upload", "--f"]), /^--format=\[/m);
      assert.match(await zshComplete(["bmi", "pro", "n1", "--boot-t"]), /^--boot-timeout=\[/m);
      assert.equal(await zshComplete(["bmi", "completion", ""]), "bash zsh");
    } finally {
      await rm(zshFile, { force: true });
    }
    assert.equal((await bmi({}, ["completion", "fish"])).code, 2);
  });
});

describe("against a stack", () => {
  let s: Stack;
  let dir: string;
  let env: Record<string, string>;
  let qmp: FakeQmp;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "bmi-cli-operator-"));
    const usersFile = path.join(dir, "users.yaml");
    await writeFile(usersFile, "users:\n  - {name: admin, token: admin-token, admin: true}\n  - {name: alice, password: alice-pw, projects: [p1]}\n");
    // Per-call log lines from the orchestrator and haas-gateway; the others' audit lines are written at any level.
    s = await startStack({ tag: "cli-operator", auth: { usersFile, admin: "Bearer admin-token" },
      orchEnv: { BMI_LOG_LEVEL: "info" }, haasEnv: { BMI_LOG_LEVEL: "info" } });
    await s.registerNodes(["op1"]);
    qmp = await startFakeQmp(path.join(s.dir, "pw1.qmp"));
    await s.registerNodes(["pw1"], () => PowerSpec.fromPartial({ qemu: { qmpSocket: qmp.path } }));
    env = { BMI_ADDR: s.orchAddr, BMI_IMAGE_ADDR: s.imageAddr, BMI_CA: s.clientTls.ca };
    await writeFile(path.join(dir, "alice.pass"), "alice-pw\n");
    await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(dir, 1), format: ImageFormat.IMAGE_FORMAT_RAW, public: false },
      { authorization: "Bearer admin-token" });
    await writeFile(path.join(dir, "wrong.pass"), "nope\n");
    await writeFile(path.join(dir, "config.yaml"), [
      "# BMI contexts", "current-context: lab", "contexts:",
      `  lab: {addr: "${s.orchAddr}", image-addr: "${s.imageAddr}", project: p1, ca: "${s.clientTls.ca}", user: alice, password-file: alice.pass}`,
      `  wrong: {addr: "${s.orchAddr}", project: p1, ca: "${s.clientTls.ca}", user: alice, password-file: wrong.pass}`, ""].join("\n"));
  });
  after(async () => {
    await qmp?.close();
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("secrets from a file, standard input or a context's password-file; never needed on the command line", async () => {
    const alice = { ...env, BMI_PROJECT: "p1", BMI_USER: "alice" };
    assert.equal((await bmi(alice, ["ls", "--password-file", path.join(dir, "alice.pass")])).code, 0);
    assert.equal((await bmi({ ...alice, BMI_PASSWORD_FILE: path.join(dir, "alice.pass") }, ["ls"])).code, 0);
    assert.equal((await bmi(alice, ["ls", "--password-stdin"], "alice-pw\n")).code, 0);
    assert.equal((await bmi(alice, ["ls", "--password-stdin"], "wrong\n")).code, 5);
    const none = await bmi(alice, ["ls", "--password-file", path.join(dir, "nothing")]);
    assert.deepEqual([none.code, none.stderr], [2, `bmi: cannot read password from ${path.join(dir, "nothing")}: ENOENT\n`]);
  });

  test("named contexts: the current one, --context, BMI_CONTEXT, bmi context use; flags and variables win", async () => {
    const cfg = { BMI_CONFIG: path.join(dir, "config.yaml") };
    assert.equal((await bmi(cfg, ["ls"])).code, 0, "lab: address, CA, project and credentials from the context");
    assert.equal((await bmi(cfg, ["ls", "--context", "wrong"])).code, 5);
    assert.equal((await bmi({ ...cfg, BMI_CONTEXT: "wrong" }, ["ls"])).code, 5);
    assert.equal((await bmi({ ...cfg, BMI_CONTEXT: "wrong", BMI_PASSWORD: "alice-pw" }, ["ls"])).code, 0);
    assert.equal((await bmi(cfg, ["ls", "--addr", "127.0.0.1:1"])).code, 6);
    assert.deepEqual(await bmi(cfg, ["context", "use", "wrong"]), { code: 0, stdout: "current context: wrong\n", stderr: "" });
    assert.equal((await bmi(cfg, ["context", "ls"])).stdout, "  lab\n* wrong\n");
    assert.match(await readFile(cfg.BMI_CONFIG, "utf8"), /^# BMI contexts\ncurrent-context: wrong\n/, "comments kept");
    assert.equal((await bmi(cfg, ["context", "use", "nosuch"])).code, 2);
    assert.equal((await bmi(cfg, ["ls", "--context", "nosuch"])).stderr, `bmi: no context nosuch in ${cfg.BMI_CONFIG}\n`);
    await bmi(cfg, ["context", "use", "lab"]);
  });

  test("bmi node power and bootdev: the project's node through haas-gateway; refused while a job holds it", async () => {
    const cfg = { BMI_CONFIG: path.join(dir, "config.yaml") };
    assert.equal((await bmi(cfg, ["pro", "pw1", "golden"])).code, 0);
    assert.deepEqual(await bmi(cfg, ["node", "power", "status", "pw1"]), { code: 0, stdout: "pw1 on\n", stderr: "" });
    qmp.commands.length = 0;
    assert.equal((await bmi(cfg, ["node", "power", "cycle", "pw1"])).code, 0);
    assert.ok(qmp.commands.includes("system_reset"), qmp.commands.join(" "));
    assert.deepEqual(await bmi(cfg, ["node", "power", "off", "pw1", "--json"]), { code: 0, stdout: `${JSON.stringify({ node: "pw1", action: "off" }, null, 2)}\n`, stderr: "" });
    assert.ok(qmp.commands.includes("stop"));
    assert.equal((await bmi(cfg, ["node", "bootdev", "pw1", "disk"])).stdout, "pw1: boots from disk next\n");
    // A job's lock on the node, as a running provision holds it.
    await s.redis.set(`${s.prefix}orch:lock:pw1`, "jbusy");
    try {
      const busy = await bmi(cfg, ["node", "power", "cycle", "pw1"]);
      assert.deepEqual([busy.code, busy.stderr], [4, "bmi: node pw1 is busy with job jbusy: wait for it or cancel it\n"]);
      assert.equal((await bmi(cfg, ["node", "bootdev", "pw1", "pxe"])).code, 4);
    } finally {
      await s.redis.del(`${s.prefix}orch:lock:pw1`);
    }
    const free = await bmi(cfg, ["node", "power", "on", "op2"]);
    assert.equal(free.code, 3, free.stderr);
  });

  test("one request id from the CLI through every service's log lines, job steps included; levels as labels", async () => {
    const cfg = { BMI_CONFIG: path.join(dir, "config.yaml") };
    const r = await bmi(cfg, ["pro", "op1", "golden", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = (service: string) => s.processes.filter((p) => p.name === service)
      .flatMap((p) => readFileSync(p.logFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
    const idOf = (l: Record<string, unknown>) => (l.requestId ?? (l.audit as { requestId?: string } | undefined)?.requestId) as string | undefined;
    const provision = lines("orchestrator").find((l) => l.method === "/bmi.orchestrator.v1.Orchestrator/ProvisionNode" && l.requestId);
    assert.ok(provision, "the orchestrator logged ProvisionNode");
    const id = idOf(provision)!;
    assert.equal(provision.level, "info");
    assert.ok(lines("orchestrator").some((l) => /GetJob|WatchJob/.test(String(l.method)) && l.requestId === id), "the CLI's other calls carry the same id");
    for (const service of ["image-service", "target-service", "boot-service", "haas-gateway"]) {
      await until(`${service} logs request ${id}`, async () => lines(service).some((l) => idOf(l) === id && typeof l.level === "string"), 10_000);
    }
  });
});
