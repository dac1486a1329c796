import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { silentLogger } from "@bmi/log";
import { until } from "@bmi/async";
import {
  buildBootDisk, freeControlPort, freePort, guarded, holdIscsiSession, iscsiInquiry, iscsiReadHead, stopTgtd, type IscsiLogin,
} from "@bmi/testing";
import type { TargetSpec } from "../target";
import { TgtDriver } from "./tgt";
import { tempDir } from "@bmi/testing";

describe("tgt driver against a real tgtd", () => {
  const dir = tempDir("bmi-tgt-");
  const controlPort = freeControlPort();
  let portals: string[];
  let driver: TgtDriver;
  let disk: string;
  const spec = (tid: number, over: Partial<TargetSpec> = {}): TargetSpec => ({
    project: "p1", disk: `d${tid}`, iqn: `iqn.2026-01.org.example.test:p1.d${tid}`, tid,
    initiatorIqn: "iqn.2026-01.org.example.test:node1", chapUser: `bmi-${String(tid).padStart(20, "0")}`,
    chapSecret: "s3cret-s3cret-s3cret-ok", backing: { kind: "file", path: disk }, created: new Date().toISOString(), ...over,
  });
  const login = (s: TargetSpec, portal: string, over: Partial<IscsiLogin> = {}): IscsiLogin => ({
    portal, iqn: s.iqn, initiator: s.initiatorIqn, chap: { user: s.chapUser, secret: s.chapSecret }, ...over,
  });

  before(async () => {
    portals = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    driver = new TgtDriver({ controlPort, portals, ioThreads: 2, log: silentLogger(), logFile: path.join(dir, "tgtd.log") });
    disk = await buildBootDisk({ dir, marker: "TGT-DRIVER" });
  });
  after(async () => {
    if (driver.daemon.pid) await stopTgtd(controlPort, driver.daemon.pid);
  });

  it("starts its own tgtd on its control port and listens on every portal", async () => {
    await driver.ensureRunning();
    assert.ok(driver.daemon.pid, "a tgtd was started");
    const shown = await driver.adm.run(["--mode", "portal", "--op", "show"]);
    for (const p of portals) assert.match(shown, new RegExp(`Portal: ${p},1`));
    await driver.ensureRunning(); // idempotent: no second tgtd
  });

  it("exports LUN 1 to the right initiator with the right CHAP secret, through both portals", async () => {
    const s = spec(1);
    await driver.apply(s);
    const head = readFileSync(disk).subarray(0, 512);
    for (const [i, p] of portals.entries()) {
      assert.deepEqual(await iscsiReadHead(login(s, p), path.join(dir, `read-${i}.raw`)), head);
    }
    const [t] = await driver.list();
    assert.deepEqual(t?.lun1, { type: "rdwr", path: disk });
    assert.deepEqual(t?.initiators, [s.initiatorIqn]);
    assert.deepEqual(t?.accounts, [s.chapUser]);
  });

  it("refuses a wrong CHAP secret, no CHAP at all and another initiator", async () => {
    const s = spec(1);
    const p = portals[0] ?? "";
    const wrong = await iscsiInquiry(login(s, p, { chap: { user: s.chapUser, secret: "not-the-secret-at-all" } }));
    assert.equal(wrong.ok, false);
    assert.match(wrong.output, /Authentication failure/);
    const none = await iscsiInquiry({ portal: p, iqn: s.iqn, initiator: s.initiatorIqn });
    assert.equal(none.ok, false);
    assert.match(none.output, /Authentication failure/);
    const other = await iscsiInquiry(login(s, p, { initiator: "iqn.2026-01.org.example.test:intruder" }));
    assert.equal(other.ok, false);
    assert.match(other.output, /Target not found/);
    assert.equal((await iscsiInquiry(login(s, p))).ok, true);
  });

  it("exports to one address alone once bound, and gives a mutual-CHAP target its outgoing account", async () => {
    // tgt admits a login when any ACL entry matches: the address replaces the name, it does not join it.
    const s = spec(3, { initiatorAddress: "127.0.0.2", reverse: { user: `bmi-${"3".padStart(20, "0")}-t`, secret: "target-s3cret-s3cret" } });
    const p = portals[0] ?? "";
    await driver.apply(s);
    const live = (await driver.list()).find((t) => t.tid === 3);
    assert.deepEqual([live?.initiators, live?.accounts, live?.outgoing], [["127.0.0.2"], [s.chapUser], [s.reverse?.user]]);
    assert.match((await iscsiInquiry(login(s, p))).output, /Target not found/);
    await driver.rebind({ ...s, initiatorAddress: "127.0.0.1" }, "127.0.0.2");
    assert.equal((await iscsiInquiry(login(s, p, { initiator: "iqn.2026-01.org.example.test:any-name" }))).ok, true);
    assert.deepEqual((await driver.list()).find((t) => t.tid === 3)?.initiators, ["127.0.0.1"]);
    assert.equal(await driver.remove(3), 0);
    for (const user of [s.chapUser, s.reverse?.user ?? ""]) await driver.deleteAccount(user);
  });

  it("finds one target as tgtd's full listing shows it, through every change, and none once tgtd lost it", async () => {
    const s = spec(4, { reverse: { user: `bmi-${"4".padStart(20, "0")}-t`, secret: "target-s3cret-s3cret" } });
    const listed = async () => {
      const t = (await driver.list()).find((x) => x.tid === 4);
      return t && { ...t, outgoing: t.outgoing ?? [] };
    };
    const found = async (d: TgtDriver) => {
      const t = await d.find(4);
      return t && { ...t, outgoing: t.outgoing ?? [] };
    };
    await driver.apply(s);
    assert.deepEqual(await found(driver), await listed());
    await driver.rebind({ ...s, initiatorAddress: "127.0.0.2" }, s.initiatorIqn);
    assert.deepEqual(await found(driver), await listed());
    const { reverse: _, ...plain } = s;
    await driver.rekey({ ...plain, chapSecret: "an0ther-s3cret-s3cret" }, s);
    assert.deepEqual(await found(driver), await listed());
    await driver.deleteAccount(s.chapUser);
    assert.deepEqual((await found(driver))?.accounts, []);
    // A process that never saw the target (a restarted service) asks tgtd's listing.
    const fresh = new TgtDriver({ controlPort, portals, log: silentLogger() });
    assert.deepEqual(await found(fresh), await listed());
    // Removed behind the driver's back (a hand-run tgtadm, a restarted tgtd): not there.
    await driver.adm.run(["--mode", "target", "--op", "delete", "--force", "--tid", "4"]);
    assert.equal(await driver.find(4), undefined);
    assert.equal(await fresh.find(4), undefined);
  });

  it("refuses a missing backing file: UNAVAILABLE, to retry, and leaves no target", async () => {
    // image-service named the file as the disk's export a moment ago; gone now means its exports are being set up
    // again (image-service or its storage daemon restarting): a retry succeeds once they are back.
    await assert.rejects(driver.apply(spec(2, { backing: { kind: "file", path: path.join(dir, "nope.raw") } })),
      { code: "UNAVAILABLE", message: /export .*nope\.raw is not there/ });
    assert.equal((await driver.list()).some((t) => t.tid === 2), false);
  });

  it("a FUSE export whose storage daemon dies while its LUN is added is UNAVAILABLE, to retry, and leaves no target", async () => {
    // What a 1,000-node chaos run met: image-service killed, and its qemu-storage-daemon with it, while target-service
    // added a LUN on one of its exports. tgtd cannot open the dead mount ("invalid request"), yet for a second the
    // mount still passes existsSync (the kernel answers from cached attributes).
    const image = path.join(dir, "fuse.qcow2");
    const mount = path.join(dir, "fuse.raw");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
    writeFileSync(mount, "");
    const qsd = spawn(...guarded("qemu-storage-daemon", ["--blockdev", `driver=file,node-name=f,filename=${image}`,
      "--blockdev", "driver=qcow2,node-name=q,file=f", "--export", `type=fuse,id=e,node-name=q,mountpoint=${mount},writable=on`]), { stdio: "ignore" });
    const exited = new Promise((r) => qsd.once("exit", r));
    const run = driver.adm.run.bind(driver.adm);
    try {
      await until("the FUSE export", () => readFileSync("/proc/mounts", "utf8").includes(` ${mount} fuse`) && statSync(mount).size > 0, 10_000);
      driver.adm.run = async (args: string[], lld?: boolean) => {
        if (args[1] === "logicalunit" && args[3] === "new") {
          qsd.kill("SIGKILL");
          await exited;
        }
        return run(args, lld);
      };
      await assert.rejects(driver.apply(spec(7, { backing: { kind: "file", path: mount } })),
        { code: "UNAVAILABLE", message: /export .*fuse\.raw is not there/ });
      assert.equal((await driver.list()).some((t) => t.tid === 7), false, "the half-made target is removed");
    } finally {
      driver.adm.run = run;
      qsd.kill("SIGKILL");
      await exited;
      spawnSync("umount", ["-l", mount]);
    }
  });

  it("removes a target with a live session by force and counts the session", async () => {
    const s = spec(1);
    const held = await holdIscsiSession(login(s, portals[1] ?? ""));
    try {
      const until = Date.now() + 10_000;
      while ((await driver.list()).find((t) => t.tid === 1)?.sessions !== 1) {
        assert.ok(Date.now() < until, "session never showed up");
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(await driver.remove(1), 1);
      assert.deepEqual(await driver.list(), []);
      await driver.deleteAccount(s.chapUser);
      assert.deepEqual(await driver.accounts(), []);
    } finally {
      await held.close();
    }
  });

  it("removes a target while its node's read is still in flight (tgtd: 'logical unit is still active'): waits it out", async () => {
    // What a CI run met: a Linux VM still running when its node was deprovisioned. tgtd refuses to delete a LUN with
    // a SCSI command in flight, --force or not. Here the command is a 2 MiB read from a FUSE export throttled to
    // 512 KiB/s, so it is in flight for about four seconds when the target is removed.
    const image = path.join(dir, "slow.qcow2");
    const mount = path.join(dir, "slow.raw");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
    writeFileSync(mount, "");
    const qsd = spawn(...guarded("qemu-storage-daemon", ["--object", "throttle-group,id=tg,x-bps-read=524288",
      "--blockdev", `driver=file,node-name=f,filename=${image}`, "--blockdev", "driver=qcow2,node-name=q,file=f",
      "--blockdev", "driver=throttle,node-name=t,throttle-group=tg,file=q",
      "--export", `type=fuse,id=e,node-name=t,mountpoint=${mount},writable=on`]), { stdio: "ignore" });
    const qsdExited = new Promise((r) => qsd.once("exit", r));
    const s = spec(11, { backing: { kind: "file", path: mount } });
    const refused: string[] = [];
    const run = driver.adm.run.bind(driver.adm);
    let reader: ReturnType<typeof spawn> | undefined;
    try {
      await until("the FUSE export", () => readFileSync("/proc/mounts", "utf8").includes(` ${mount} fuse`) && statSync(mount).size > 0, 10_000);
      await driver.apply(s);
      driver.adm.run = async (args: string[], lld?: boolean) => run(args, lld).catch((err: Error) => {
        refused.push(err.message);
        throw err;
      });
      const l = login(s, portals[0] ?? "");
      const opts = ["driver=raw", "file.driver=iscsi", "file.transport=tcp", `file.portal=${l.portal}`, `file.target=${l.iqn}`,
        "file.lun=1", `file.initiator-name=${l.initiator}`, `file.user=${s.chapUser}`, `file.password=${s.chapSecret}`].join(",");
      reader = spawn(...guarded("qemu-io", ["--image-opts", opts, "-c", "read 0 2M"]), { stdio: "ignore" });
      await until("the reader's session", async () => (await driver.list()).find((t) => t.tid === 11)?.sessions === 1, 20_000);
      await new Promise((r) => setTimeout(r, 1000)); // its read is sent right after the login and lasts about 4 s
      assert.equal(await driver.remove(11), 1);
      assert.equal((await driver.list()).some((t) => t.tid === 11), false, "the target is gone");
      assert.ok(refused.some((m) => /logical unit is still active/.test(m)), `tgtd refused the first delete: ${refused.join("; ")}`);
      await driver.deleteAccount(s.chapUser);
    } finally {
      driver.adm.run = run;
      reader?.kill("SIGKILL");
      qsd.kill("SIGKILL");
      await qsdExited;
      spawnSync("umount", ["-l", mount]);
    }
  });

  it("does the same through the tgtadm program when the control-socket protocol is off (BMI_TGTD_IPC=false)", async () => {
    const viaTgtadm = new TgtDriver({ controlPort, portals, ipc: false, log: silentLogger() });
    await viaTgtadm.ensureRunning(); // the running tgtd answers: no second one
    const s = spec(9);
    await viaTgtadm.apply(s);
    const head = readFileSync(disk).subarray(0, 512);
    assert.deepEqual(await iscsiReadHead(login(s, portals[0] ?? ""), path.join(dir, "read-tgtadm.raw")), head);
    assert.equal((await iscsiInquiry(login(s, portals[0] ?? "", { chap: { user: s.chapUser, secret: "wrong-wrong-wrong" } }))).ok, false);
    assert.equal(await viaTgtadm.remove(9), 0);
    await viaTgtadm.deleteAccount(s.chapUser);
    assert.deepEqual(await viaTgtadm.list(), []);
  });

  it("answers FAILED_PRECONDITION, not INTERNAL, when tgtd is not installed", async () => {
    const empty = tempDir("bmi-tgt-nopath-");
    symlinkSync(execFileSync("which", ["tgtadm"], { encoding: "utf8" }).trim(), path.join(empty, "tgtadm")); // tgtadm, no tgtd
    const missing = new TgtDriver({ controlPort: freeControlPort(), portals: [`127.0.0.1:${await freePort()}`], log: silentLogger() });
    const PATH = process.env.PATH;
    process.env.PATH = empty; // spawn looks tgtd up in this PATH
    try {
      await assert.rejects(missing.ensureRunning(), { code: "FAILED_PRECONDITION", message: /tgtd could not be started \(spawn tgtd ENOENT\): is tgt installed\?/ });
    } finally {
      process.env.PATH = PATH;
      missing.close();
    }
  });
});
