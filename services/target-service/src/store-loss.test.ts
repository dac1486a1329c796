import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { silentLogger } from "@bmi/log";
import { until as untilAsync } from "@bmi/async";
import { connectRedis, deleteKeys, type Redis } from "@bmi/redis";
import {
  bootVm, checkHealth, findTgtd, freeControlPort, freePort, iscsiInquiry, iscsiReadHead, stopTgtd, tempDir, uniquePrefix,
} from "@bmi/testing";
import { RedisTargetStore } from "./drivers/redis-store";
import { TgtDriver } from "./drivers/tgt";
import { parseTargets } from "./drivers/tgt-show";
import { Gate } from "./gate";
import { buildReaderDisk } from "./reader-disk";
import { Reconciler } from "./reconciler";
import { TargetManager, type TargetView } from "./targets";

const run = promisify(execFile);
const DIST = path.resolve(__dirname);
const authority = { date: "2026-01", domain: "org.example.test" };
const node = "iqn.2026-01.org.example.test:n1";
const PERIOD_MS = 300;
// How long the VM keeps reading its disk: through the flush, the refusal and the adoption.
const VM_READ_SECONDS = 25;

// The failure: a store that comes back empty (flush, lost Redis) or unfamiliar (another prefix) made the
// reconciler delete every target within seconds. Real tgtd, real Redis, the service as a process.
describe("target-service: an empty or foreign store deletes no target", () => {
  const dir = tempDir("bmi-store-loss-");
  const controlPort = freeControlPort();
  const prefixA = uniquePrefix("store-loss-a");
  const prefixB = uniquePrefix("store-loss-b");
  let disk: string;
  let head: string;
  let redis: Redis;
  let portal: string;
  let address: string;
  let env: Record<string, string>;
  let svc: ServiceProcess | undefined;
  let target: TargetView;
  let first: ReturnType<typeof domain>;
  const logs: string[] = [];
  let vms: Promise<unknown> = Promise.resolve();

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    disk = await buildReaderDisk(dir, VM_READ_SECONDS);
    head = readFileSync(disk).toString("latin1", 0, 15);
    portal = `127.0.0.1:${await freePort()}`;
    address = `127.0.0.1:${await freePort()}`;
    env = {
      BMI_TLS: "off", BMI_TARGET_LISTEN: address, BMI_REDIS_PREFIX: prefixA, BMI_TGTD_CONTROL_PORT: String(controlPort),
      BMI_TARGET_PORTALS: portal, BMI_TGTD_IO_THREADS: "2", BMI_TARGET_IQN_DOMAIN: "org.example.test",
      BMI_TARGET_RECONCILE_MS: String(PERIOD_MS),
    };
    svc = await start(env);
    await waitHealth(address, "SERVING");
    first = domain(prefixA);
    await first.reconciler.kick();
    target = (await first.targets.create({ project: "p1", disk: "n1-1", backing: { kind: "file", path: disk }, initiatorIqn: node })).view;
    assert.equal((await readHead(target)).toString("latin1"), head);
  });
  after(async () => {
    await svc?.stop();
    if (process.env["BMI_TEST_DEBUG"]) for (const l of logs) console.log(readFileSync(l, "utf8"));
    const pid = findTgtd(controlPort);
    if (pid) await stopTgtd(controlPort, pid);
    // Without its target a VM still running fails its next read and exits (or bootVm kills it at its deadline).
    await vms;
    for (const prefix of [prefixA, prefixB]) await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  /** The service's own objects in this process, as a second instance over the same Redis prefix and tgtd. */
  function domain(prefix: string) {
    const log = silentLogger();
    const store = new RedisTargetStore(redis, prefix);
    const driver = new TgtDriver({ controlPort, portals: [portal], log });
    const gate = new Gate();
    return { store, reconciler: new Reconciler(store, driver, authority, gate, log, PERIOD_MS), targets: new TargetManager(store, driver, authority, [portal], gate, log) };
  }
  const login = (v: TargetView, secret = v.spec.chapSecret) =>
    ({ portal, iqn: v.spec.iqn, initiator: node, chap: { user: v.spec.chapUser, secret } });
  const readHead = (v: TargetView, secret?: string) => iscsiReadHead(login(v, secret), path.join(dir, "head.raw"), 15);
  const start = async (e: Record<string, string>) => {
    const p = await startProcess(e, dir);
    logs.push(p.logFile);
    return p;
  };
  const restart = async (prefix: string) => {
    await svc?.stop();
    env = { ...env, BMI_REDIS_PREFIX: prefix };
    svc = await start(env);
  };
  // tgtd's own listing, through the tgtadm program.
  const tgtdLive = async () => parseTargets((await run("tgtadm", ["-C", String(controlPort), "--lld", "iscsi", "--mode", "target", "--op", "show"])).stdout);
  const tgtdTargets = async () => (await tgtdLive()).map((t) => t.iqn);
  const admin = (...args: string[]): Promise<{ code?: number; stdout: string }> =>
    run(process.execPath, [path.join(DIST, "admin.js"), ...args], { env: { ...process.env, ...env } })
      .catch((err: { code: number; stdout: string }) => err);
  /** A VM booted from `v` through iPXE's sanboot, reading its disk for VM_READ_SECONDS. */
  const readingVm = (v: TargetView) => {
    const script = path.join(dir, "reader.ipxe");
    writeFileSync(script, ["#!ipxe", "dhcp", `set initiator-iqn ${node}`, `set username ${v.spec.chapUser}`, `set password ${v.spec.chapSecret}`,
      `sanboot --keep iscsi:10.0.2.2::${portal.split(":")[1]}:1:${v.spec.iqn}`, ""].join("\n"));
    const done = bootVm({ dir, name: "reader", mac: "52:54:00:42:05:01", net: { kind: "user" }, kernel: "/usr/lib/ipxe/ipxe.lkrn",
      // Not READ-LOOP-DONE: matching it would kill QEMU before the reader's own exit (99) on a loaded machine.
      initrd: script, until: /READ-ERROR|DATA-ERROR/, deadlineMs: (VM_READ_SECONDS + 60) * 1000 });
    vms = done.catch(() => undefined);
    return { done, serialFile: path.join(dir, "reader.serial.log") };
  };
  /** Several reconcile periods of refusing: NOT_SERVING throughout, the target still in tgtd and still readable. */
  const assertRefusing = async (v: TargetView) => {
    await waitHealth(address, "NOT_SERVING");
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, PERIOD_MS));
      assert.equal(await checkHealth(address), "NOT_SERVING");
    }
    assert.ok((await tgtdTargets()).includes(v.spec.iqn), "the target is still in tgtd");
    assert.equal((await iscsiInquiry(login(v))).ok, true, "the node still logs in with its secret");
  };

  it("Redis keys deleted while a VM reads its disk: the VM reads on, NOT_SERVING with one log line, adopt brings SERVING back", async () => {
    const vm = readingVm(target);
    // One '.' per 64 reads, after READ-LOOP-START (iPXE prints dots of its own before).
    const dots = () => (readFileSync(vm.serialFile, "latin1").split("READ-LOOP-START")[1]?.match(/\./g) ?? []).length;
    await until("the VM reading its disk", async () => dots() >= 3);
    await deleteKeys(redis, prefixA);
    const t0 = Date.now();
    const before = dots();
    await waitHealth(address, "NOT_SERVING");
    console.log(`# keys deleted: NOT_SERVING after ${Date.now() - t0} ms (reconcile period ${PERIOD_MS} ms)`);
    await assertRefusing(target);
    assert.equal((await tgtdTargets()).length, 2, "the target and the store marker");
    assert.equal((await tgtdLive()).find((t) => t.tid === target.spec.tid)?.sessions, 1, "the VM's session was never dropped");
    assert.ok(dots() > before, `the VM kept reading: ${before} -> ${dots()} x 64 reads`);
    const log = readFileSync(svc?.logFile ?? "", "utf8");
    assert.equal(log.split("\n").filter((l) => l.includes("is empty (no store-id)")).length, 1, "one log line");
    assert.match(log, /Redis has no persistence/);
    // Nor does the API delete or create on the word of a store tgtd does not follow.
    await assert.rejects(first.targets.delete("p1", "n1-1"), { code: "UNAVAILABLE" });
    await assert.rejects(first.targets.create({ project: "p1", disk: "n1-2", backing: { kind: "file", path: disk }, initiatorIqn: node }),
      { code: "UNAVAILABLE" });
    const adopted = await admin("adopt");
    assert.match(adopted.stdout, /1 targets adopted/);
    await waitHealth(address, "SERVING");
    const spec = await new RedisTargetStore(redis, prefixA).get("p1", "n1-1");
    assert.deepEqual({ ...spec, chapSecret: "x", created: "" }, { ...target.spec, chapSecret: "x", created: "" });
    assert.equal(spec?.chapSecret, "", "tgtd never shows the secret");
    await new Promise((r) => setTimeout(r, 3 * PERIOD_MS));
    assert.equal(await checkHealth(address), "SERVING");
    assert.equal((await readHead(target)).toString("latin1"), head, "the old secret still opens it");
    const done = await vm.done;
    assert.match(done.serial, /READ-LOOP-DONE/);
    assert.equal(done.exitCode, 99, "no read failed");
    console.log(`# the VM read its disk for ${VM_READ_SECONDS} s (${dots()} x 64 reads) through the flush, the refusal and the adoption`);
  });

  it("an adopted target gets a new CHAP secret when it is created again", async () => {
    // The service process is stopped first: new secrets are an account delete and a new account in tgtd, and its
    // reconciler, a second writer to the same tgtd, could make the missing account again between the two (one
    // target-service serialises both itself; two on one tgtd is this test's shortcut, not a deployment). The next
    // test starts it again.
    await svc?.stop();
    svc = undefined;
    const d = domain(prefixA);
    await d.reconciler.kick();
    const again = await d.targets.create({ project: "p1", disk: "n1-1", backing: { kind: "file", path: disk }, initiatorIqn: node });
    assert.equal(again.created, false);
    assert.equal(again.view.spec.tid, target.spec.tid);
    assert.notEqual(again.view.spec.chapSecret, "");
    assert.equal((await iscsiInquiry(login(target))).ok, false, "the old secret is gone");
    assert.equal((await readHead(again.view)).toString("latin1"), head);
    target = again.view;
  });

  it("restarted with another BMI_REDIS_PREFIX: the target stays, NOT_SERVING; the right prefix serves again", async () => {
    await restart(prefixB);
    await assertRefusing(target);
    const status = await admin("status");
    assert.match(status.stdout, /reconciling: refuse/);
    const refused = await admin("accept-store");
    assert.equal(refused.code, 1, "accept-store without --yes changes nothing");
    assert.match(refused.stdout, new RegExp(target.spec.iqn.replace(/\./g, "\\.")));
    await restart(prefixA);
    await waitHealth(address, "SERVING");
    assert.equal((await readHead(target)).toString("latin1"), head);
  });

  it("accept-store --yes makes tgtd follow the new store: its next pass deletes the unwanted target", async () => {
    await restart(prefixB);
    await waitHealth(address, "NOT_SERVING");
    const accepted = await admin("accept-store", "--yes");
    assert.match(accepted.stdout, /tgtd now follows store [0-9a-f]{16}/);
    await waitHealth(address, "SERVING");
    const until = Date.now() + 10 * PERIOD_MS;
    while ((await tgtdTargets()).includes(target.spec.iqn)) {
      assert.ok(Date.now() < until, "the unwanted target is removed");
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const log of logs) assert.ok(!readFileSync(log, "utf8").includes(target.spec.chapSecret), `CHAP secret in ${log}`);
  });
});

interface ServiceProcess {
  logFile: string;
  stop(): Promise<void>;
}

/**
 * target-service as a process, answering health (SERVING or not): @bmi/testing's startService waits for SERVING,
 * which a service that refuses its store never reaches.
 */
async function startProcess(env: Record<string, string>, dir: string): Promise<ServiceProcess> {
  const logFile = path.join(dir, `target-service-${Date.now()}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [path.join(DIST, "main.js")], { env: { ...process.env, BMI_LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const until = Date.now() + 30_000;
    while (!(await checkHealth(env["BMI_TARGET_LISTEN"] ?? "", "", 500).catch(() => undefined))) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`target-service did not answer; log: ${logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { logFile, stop };
}

async function waitHealth(address: string, want: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while ((last = await checkHealth(address).catch((e: Error) => e.message)) !== want) {
    if (Date.now() > until) throw new Error(`${address} is ${last}, not ${want}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const until = (what: string, cond: () => Promise<boolean>) => untilAsync(what, () => cond().catch(() => false), 60_000, 100);
