import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { until } from "@bmi/async";
import { connectRedis, deleteKeys } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { findTgtd, processesMarked, stopTgtd, uniquePrefix } from "@bmi/testing";

// A test file cut by the runner's timeout never runs its after() hooks: whatever it started must die with it anyway,
// including what its services started in turn, detached from them on purpose (target-service's tgtd, image-service's
// kept storage daemons). libs/testing's die-with-test.ts; here a test-like process is SIGKILLed and nothing is left.
const dir = mkdtempSync(path.join(tmpdir(), "bmi-die-with-test-"));
const prefix = uniquePrefix("die-with-test");
let started: { mark: string; controlPort: number; services: number[]; tempDirs: string[] } | undefined;
let tgtd: number | undefined;

after(async () => {
  // Only if the mechanism failed: kill what is left, so this test leaves nothing either.
  for (const pid of started ? processesMarked(started.mark) : []) {
    try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  }
  if (started && tgtd) await stopTgtd(started.controlPort, tgtd);
  for (const m of readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(dir))) {
    spawnSync("umount", ["-l", m]);
  }
  rmSync(dir, { recursive: true, force: true });
  // The parent's own temporaries (its test PKI): it was SIGKILLed, so its exit hook never removed them.
  for (const d of started?.tempDirs ?? []) rmSync(d, { recursive: true, force: true });
  const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
  await deleteKeys(redis, prefix).finally(() => redis.disconnect());
});

const cmdline = (pid: number) => {
  try { return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "); } catch { return ""; }
};
const session = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[3];

test("a SIGKILLed test process leaves nothing: its services, the tgtd target-service started and image-service's detached storage daemon all die", async () => {
  const parent = spawn(process.execPath, [path.join(__dirname, "die-with-test-parent.js"), dir, prefix], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => parent.once("exit", r));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout! }).once("line", resolve);
      parent.once("exit", (code) => reject(new Error(`the parent exited (${code}) before it said what it started`)));
    });
    started = JSON.parse(line) as typeof started & object;
    const { mark, controlPort, services } = started;
    tgtd = await until("target-service's own tgtd", () => findTgtd(controlPort), 30_000);
    const marked = processesMarked(mark);
    for (const pid of [...services, tgtd]) assert.ok(marked.includes(pid), `${cmdline(pid)} carries the mark`);
    // Debian's daemon or BMI's build of it (/usr/local/lib/bmi/qemu-storage-daemon).
    const qsd = marked.filter((pid) => /^(\S*\/)?qemu-storage-daemon /.test(cmdline(pid)));
    assert.equal(qsd.length, 1, marked.map(cmdline).join("\n"));
    // Both left the services' sessions: no signal to a process group or death signal of theirs reaches them.
    for (const pid of [tgtd, ...qsd]) assert.notEqual(session(pid), session(services[0]!), cmdline(pid));

    parent.kill("SIGKILL");
    await exited;
    const all = [...services, tgtd, ...qsd];
    await until(() => `every process it started gone; left: ${processesMarked(mark).map(cmdline).join("; ")}`,
      () => processesMarked(mark).length === 0 && all.every((pid) => cmdline(pid) === ""), 20_000, 100);
  } finally {
    parent.kill("SIGKILL");
    await exited;
  }
});
