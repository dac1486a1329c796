import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { silentLogger } from "@bmi/log";
import {
  buildBootDisk, freeControlPort, freePort, iscsiInquiry, iscsiReadHead, startCeph, stopTgtd, type TestCeph,
} from "@bmi/testing";
import type { TargetSpec } from "../target";
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
});
