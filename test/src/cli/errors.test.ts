import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { until } from "../support/stack";
import { collect, problem, startFailureStack, type FailureStack } from "./failure-harness";
import { failureTable, type CommandRows } from "./failure-table";
import { startBlackHole, startRelay } from "./wire-faults";

/**
 * Every command of the CLI through every kind of failure, against the real stack: one line on stderr (so no stack
 * trace), the exit code the README documents, and nothing changed; then streams cut or interrupted half-way.
 */
const REFUSED = "127.0.0.1:1";
let h: FailureStack;
let table: Record<string, CommandRows>;
let unchanged: unknown;

before(async () => {
  h = await startFailureStack();
  table = failureTable(h.f);
  unchanged = await h.state();
});
after(() => h?.stop());

test("every command of the CLI has rows in the failure table, and only those", async () => {
  const commands = (JSON.parse(await h.ok(["help", "--json"])) as Array<{ name: string }>).map((c) => c.name).sort();
  assert.deepEqual(Object.keys(table).sort(), commands, "a command without failure rows (or rows of a command that is gone)");
  for (const [name, c] of Object.entries(table)) assert.ok(c.rows.length > 0, `${name}: no rows of its own`);
});

test("each command's own failures: one line and the documented exit code", async () => {
  const rows = Object.entries(table).flatMap(([name, c]) => c.rows.map((row) => ({ name, row })));
  // A job that fails allocates and releases nodes: alone, so that no other row sees a node half-way.
  const alone = rows.filter((r) => r.row.kind === "job failed");
  const run = async ({ name, row }: (typeof rows)[number]) => {
    const args = [...name.split(" "), ...row.args];
    return problem(`bmi ${args.join(" ")} (${row.kind}, as ${row.as ?? "alice"})`, await h.cli(args, row.as, row.env), row.exit, row.line);
  };
  const problems = [...await collect(rows.filter((r) => !alone.includes(r)), 3, run), ...await collect(alone, 1, run)];
  assert.deepEqual(problems, []);
});

test("every command: unknown flag 2, service unreachable 6, wrong credentials 5, --json error object", async () => {
  const runs = Object.entries(table).flatMap(([name, c]) => {
    const args = [...name.split(" "), ...c.reaches];
    return [
      { what: "unknown flag", args: [...args, "--bogus"], env: {}, exit: 2, line: /Unknown option '--bogus'/ },
      { what: "unreachable", args: [...args, "--addr", REFUSED, "--image-addr", REFUSED], env: {}, exit: 6, line: /service unreachable: connect ECONNREFUSED/ },
      { what: "wrong credentials", args, env: { BMI_TOKEN: "wrong-token" }, exit: 5, line: /token|credentials|authenticat/i },
    ].map((r) => ({ ...r, as: c.as }));
  });
  const problems = await collect(runs, 3, async (r) => problem(`bmi ${r.args.join(" ")} (${r.what})`, await h.cli(r.args, r.as, r.env), r.exit, r.line));
  problems.push(...await collect(Object.entries(table), 3, async ([name, c]) => {
    const r = await h.cli([...name.split(" "), ...c.reaches, "--json", "--addr", REFUSED, "--image-addr", REFUSED], c.as);
    const err = (JSON.parse(r.stderr || "{}") as { error?: { code: string; exitCode: number; message: string } }).error;
    return r.code === 6 && err?.code === "UNAVAILABLE" && err.exitCode === 6 && r.stderr.trim().split("\n").length === 1 ? undefined
      : `bmi ${name} --json: exit ${r.code}, stderr ${r.stderr}`;
  }));
  assert.deepEqual(problems, []);
});

test("every command: Ctrl-C while it waits for a service that does not answer ends with one line, exit 130", async () => {
  const problems = await collect(Object.entries(table), 3, async ([name, c]) => {
    const hole = await startBlackHole();
    try {
      const args = [...name.split(" "), ...c.reaches, "--addr", hole.address, "--image-addr", hole.address];
      const r = await h.cli(args, c.as, {}, async (child) => {
        await hole.connected();
        child.kill("SIGINT");
      });
      return problem(`bmi ${args.join(" ")} (Ctrl-C)`, r, 130, /^bmi: interrupted/);
    } finally {
      await hole.close();
    }
  });
  assert.deepEqual(problems, []);
});

test("image upload cut off by a dying service or by Ctrl-C: exit 6 / 130, no image, nothing half-written on the server", async () => {
  const file = path.join(h.f.dir, "..", "big.raw");
  await writeFile(file, randomBytes(8 << 20));
  const leftovers = () => readdir(path.join(h.s.dir, "images", "tmp"));
  for (const how of ["service dies", "Ctrl-C"] as const) {
    const relay = await startRelay(h.s.imageAddr, { bytes: 3 << 20, upstream: true });
    try {
      const r = await h.cli(["image", "upload", "half", file, "--image-addr", relay.address], "alice", {}, async (child) => {
        await relay.stalled;
        await until("image-service writing the upload", async () => (await leftovers()).length > 0);
        if (how === "Ctrl-C") child.kill("SIGINT");
        else relay.cut();
      });
      const [exit, line] = how === "Ctrl-C" ? [130, /^bmi: interrupted: upload of image p1\/half cancelled/] : [6, /^bmi: .*(unavailable|dropped|reset|closed)/i];
      assert.equal(problem(`upload (${how})`, r, exit, line), undefined);
    } finally {
      await relay.close();
    }
    await until("image-service removing the half-written upload", async () => (await leftovers()).length === 0, 10_000);
    assert.equal((await h.cli(["image", "show", "half"])).code, 3);
  }
});

test("image download cut off by a dying service or by Ctrl-C: exit 6 / 130, no partial file, the old file as it was", async () => {
  await h.ok(["image", "upload", "big", path.join(h.f.dir, "..", "big.raw")]);
  const target = path.join(h.f.downloads, "keep.raw");
  await writeFile(target, "old");
  for (const how of ["service dies", "Ctrl-C"] as const) {
    const relay = await startRelay(h.s.imageAddr, { bytes: 2 << 20, upstream: false });
    try {
      const r = await h.cli(["image", "download", "big", target, "--image-addr", relay.address], "alice", {}, async (child) => {
        await relay.stalled;
        await until("the temporary file", async () => (await readdir(h.f.downloads)).some((n) => n.startsWith("keep.raw.bmi-download-")));
        if (how === "Ctrl-C") child.kill("SIGINT");
        else relay.cut();
      });
      const [exit, line] = how === "Ctrl-C" ? [130, /^bmi: interrupted: download of p1\/big cancelled, .*keep.raw not written$/] : [6, /^bmi: .*(unavailable|dropped|reset|closed)/i];
      assert.equal(problem(`download (${how})`, r, exit, line), undefined);
    } finally {
      await relay.close();
    }
    assert.deepEqual(await readdir(h.f.downloads), ["keep.raw"]);
    assert.equal(await readFile(target, "utf8"), "old");
  }
  await h.ok(["image", "rm", "big"]);
  await h.ok(["image", "download", "golden", target]);
});

test("the failures above changed nothing: images, disks, nodes, provisioned nodes", async () => {
  assert.deepEqual(await h.state(), unchanged);
});

test("waiting for a job: a lost orchestrator or Ctrl-C stop the waiting, not the job, and say so", async () => {
  const relay = await startRelay(h.s.orchAddr);
  let r;
  try {
    r = await h.cli(["pro", "cx3", "golden", "--wait-boot", "--boot-timeout", "600", "--addr", relay.address], "alice", {}, async () => {
      await until("cx3 power-cycled", async () => h.qmp.commands.length > 0);
      relay.cut();
    });
  } finally {
    await relay.close();
  }
  const lost = /^bmi: orchestrator: .*: stopped watching job (\S+), which is not cancelled \(bmi job watch \S+\)$/;
  assert.equal(problem("pro, orchestrator lost", r, 6, lost), undefined);
  const job = lost.exec(r.stderr.trim())![1]!;
  r = await h.cli(["job", "watch", job, "--from-start"], "alice", {}, async (child) => {
    await once(child.stdout!, "data");
    child.kill("SIGINT");
  });
  assert.equal(problem("job watch, Ctrl-C", r, 130, new RegExp(`^bmi: interrupted: stopped watching job ${job}, which is not cancelled`)), undefined);
  assert.match(await h.ok(["job", "cancel", job]), /CANCELLED/);
});

test("BMI_DEBUG=1 adds the stack trace after the line", async () => {
  const r = await h.cli(["image", "show", "nosuch"], "alice", { BMI_DEBUG: "1" });
  assert.equal(r.code, 3);
  assert.match(r.stderr.split("\n")[0]!, /^bmi: image p1\/nosuch not found$/);
  assert.match(r.stderr, /^\s+at /m);
  // The id the command's calls carried: what to look for in the services' logs.
  assert.match(r.stderr.split("\n")[1]!, /^request id [0-9a-f-]{36}$/);
});
