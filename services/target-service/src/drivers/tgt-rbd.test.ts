import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { silentLogger, type Logger } from "@bmi/log";
import {
  buildBootDisk, freeControlPort, freePort, iscsiInquiry, iscsiReadHead, startCeph, stopTgtd, type TestCeph,
} from "@bmi/testing";
import type { Backing, TargetSpec } from "../target";
import { CephClusters } from "./ceph-clusters";
import { TgtDriver } from "./tgt";
import { tempDir } from "@bmi/testing";

const run = promisify(execFile);

describe("tgt driver: an RBD image exported with tgt's rbd backing store", () => {
  const dir = tempDir("bmi-tgt-rbd-");
  const controlPort = freeControlPort();
  let ceph: TestCeph;
  let driver: TgtDriver;
  let disk: string;
  let portal: string;

  before(async () => {
    ceph = await startCeph();
    disk = await buildBootDisk({ dir, marker: "TGT-RBD" });
    await run("rbd", ["--conf", ceph.conf, "--id", ceph.user, "import", disk, `${ceph.pool}/tgt-rbd-disk`], { timeout: 60_000 });
    portal = `127.0.0.1:${await freePort()}`;
    driver = new TgtDriver({ controlPort, portals: [portal], ioThreads: 2, log: silentLogger(), logFile: path.join(dir, "tgtd.log") });
  });
  after(async () => {
    if (driver?.daemon.pid) await stopTgtd(controlPort, driver.daemon.pid);
    await ceph?.stop();
  });

  it("serves the image's bytes as LUN 1, behind ACL and CHAP like a file", async () => {
    await driver.ensureRunning();
    const spec: TargetSpec = {
      project: "p1", disk: "rbd1", iqn: "iqn.2026-01.org.example.test:p1.rbd1", tid: 1, initiatorIqn: "iqn.2026-01.org.example.test:n1",
      chapUser: "bmi-rbd-test", chapSecret: "rbd-secret-rbd-secret", created: new Date().toISOString(),
      backing: { kind: "rbd", pool: ceph.pool, image: "tgt-rbd-disk", cephConf: ceph.conf, user: ceph.user },
    };
    await driver.apply(spec);
    const [t] = await driver.list();
    assert.deepEqual(t?.lun1, { type: "rbd", path: `${ceph.pool}/tgt-rbd-disk` });
    const login = { portal, iqn: spec.iqn, initiator: spec.initiatorIqn, chap: { user: spec.chapUser, secret: spec.chapSecret } };
    assert.deepEqual(await iscsiReadHead(login, path.join(dir, "read.raw"), 4096), readFileSync(disk).subarray(0, 4096));
    assert.equal((await iscsiInquiry({ ...login, chap: { user: spec.chapUser, secret: "wrong-wrong-wrong" } })).ok, false);
    assert.equal(await driver.remove(1), 0);
  });

  it("logs the fsid of each RBD disk's cluster once, and warns when tgt could not open its disks from here", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const at = (level: string) => (o: object, msg: string) => lines.push({ level, ...o, msg });
    const clusters = new CephClusters({ info: at("info"), warn: at("warn") } as unknown as Logger);
    const rbd: Backing = { kind: "rbd", pool: ceph.pool, image: "tgt-rbd-disk", cephConf: ceph.conf, user: ceph.user };
    await clusters.note(rbd);
    await clusters.note({ ...rbd, image: "another-disk" });
    await clusters.note({ kind: "file", path: "/dev/null" });
    // No keyring holds client.nobody: what a target host without BMI's keyring looks like.
    await clusters.note({ ...rbd, user: "nobody" });
    const { stdout: fsid } = await run("ceph", ["-c", ceph.conf, "fsid"]);
    assert.deepEqual(lines.map((l) => [l.level, l.fsid, l.pool, l.user]),
      [["info", fsid.trim(), ceph.pool, `client.${ceph.user}`], ["warn", undefined, ceph.pool, "client.nobody"]]);
  });
});
