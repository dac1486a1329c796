import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, STOCK_TGT_MODULES, startCeph, startTgtd, tempDir, type TestCeph, type TestTgtd } from "@bmi/testing";

const run = promisify(execFile);
const MiB = 1 << 20;

/**
 * tgt's rbd backing store as deploy/tgt/build.sh installs it (issue 14, point 3): one Ceph client per tgtd and
 * (conf, id), images opened and closed per LUN, copy-on-write clones intact. Against a real single-node Ceph.
 */
describe("tgt rbd backing store: one Ceph client per tgtd", () => {
  const dir = tempDir("bmi-tgt-rbd-shared-");
  let ceph: TestCeph;
  let tgtd: TestTgtd | undefined;
  const rbd = (args: string[]) => run("rbd", ["-c", ceph.conf, "--id", ceph.admin, ...args], { maxBuffer: 64 << 20 });
  const threads = (pid: number) => Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  const iqn = (n: string) => `iqn.2026-01.org.example.test:shared.${n}`;
  const qemuIo = async (t: TestTgtd, name: string, cmd: string) =>
    (await run("qemu-io", ["-f", "raw", "-c", cmd, `iscsi://${t.portal}/${iqn(name)}/1`], { timeout: 60_000 })).stdout;
  const exportRbd = async (t: TestTgtd, tid: number, image: string, id: string) => {
    await t.tgtadm(["--mode", "target", "--op", "new", "--tid", String(tid), "--targetname", iqn(image)]);
    await t.tgtadm(["--mode", "logicalunit", "--op", "new", "--tid", String(tid), "--lun", "1", "--bstype", "rbd",
      "--backing-store", `${ceph.pool}/${image}`, "--bsopts", `conf=${ceph.conf};id=${id}`]);
    await t.tgtadm(["--mode", "target", "--op", "bind", "--tid", String(tid), "--initiator-address", "ALL"]);
  };
  const remove = (t: TestTgtd, tid: number) => t.tgtadm(["--mode", "target", "--op", "delete", "--force", "--tid", String(tid)]);

  before(async () => {
    const check = await run(path.join(REPO_ROOT, "deploy", "tgt", "build.sh"), ["--check"]).then(() => true, () => false);
    assert.ok(check, "the patched rbd module is not installed: run deploy/install-deps.sh");
    ceph = await startCeph();
    const golden = path.join(dir, "golden.raw");
    writeFileSync(golden, Buffer.alloc(8 * MiB, 0x5a));
    await rbd(["import", golden, `${ceph.pool}/golden`]);
    await rbd(["snap", "create", `${ceph.pool}/golden@base`]);
    await rbd(["snap", "protect", `${ceph.pool}/golden@base`]);
    for (const c of ["c1", "c2", "c3"]) await rbd(["clone", `${ceph.pool}/golden@base`, `${ceph.pool}/${c}`]);
  });
  after(async () => {
    await tgtd?.stop();
    await ceph?.stop();
  });

  it("LUNs of one (conf, id) share a client; another id gets its own; the last LUN gone, the client goes", async () => {
    tgtd = await startTgtd({ dir, ioThreads: 2 });
    const idle = threads(tgtd.pid);
    await exportRbd(tgtd, 1, "c1", ceph.user);
    const one = threads(tgtd.pid);
    assert.ok(one > idle + 2, `the first LUN starts a Ceph client (${idle} -> ${one} threads)`);
    await exportRbd(tgtd, 2, "c2", ceph.user);
    assert.equal(threads(tgtd.pid), one, "a second LUN of the same client adds no thread");
    await exportRbd(tgtd, 3, "c3", ceph.admin);
    const three = threads(tgtd.pid);
    assert.ok(three > one + 2, `another id is another client (${one} -> ${three} threads)`);
    await remove(tgtd, 3);
    assert.equal(threads(tgtd.pid), one, "admin's client shut down with its only LUN");
    await remove(tgtd, 2);
    await remove(tgtd, 1);
    assert.equal(threads(tgtd.pid), idle, "no rbd LUN left: no client, no workers");
  });

  it("writes land in the clone only: its sibling and the golden image read as before", async () => {
    assert.ok(tgtd);
    await exportRbd(tgtd, 1, "c1", ceph.user);
    await exportRbd(tgtd, 2, "c2", ceph.user);
    assert.doesNotMatch(await qemuIo(tgtd, "c1", "write -P 0xcd 0 1M"), /error|fail/i);
    // qemu-io -P checks every byte read against the pattern and says "Pattern verification failed" otherwise.
    assert.doesNotMatch(await qemuIo(tgtd, "c1", "read -P 0xcd 0 1M"), /fail/i);
    assert.doesNotMatch(await qemuIo(tgtd, "c1", "read -P 0x5a 1M 7M"), /fail/i);
    assert.doesNotMatch(await qemuIo(tgtd, "c2", "read -P 0x5a 0 8M"), /fail/i);
    const golden = path.join(dir, "golden.out");
    await rbd(["export", `${ceph.pool}/golden@base`, golden]);
    assert.ok(readFileSync(golden).equals(Buffer.alloc(8 * MiB, 0x5a)), "the golden snapshot is untouched");
    const c1 = path.join(dir, "c1.out");
    await rbd(["export", `${ceph.pool}/c1`, c1]);
    assert.equal(readFileSync(c1).subarray(0, MiB).every((b) => b === 0xcd), true, "the write reached Ceph, not a cache only");
  });

  it("a removed LUN closes its image: no watcher left, the clone can be deleted", async () => {
    assert.ok(tgtd);
    assert.match((await rbd(["status", `${ceph.pool}/c1`])).stdout, /watcher=/);
    await remove(tgtd, 1);
    assert.match((await rbd(["status", `${ceph.pool}/c1`])).stdout, /Watchers: none/);
    await rbd(["rm", `${ceph.pool}/c1`]);
    // c2, still exported through the same client, keeps serving.
    assert.doesNotMatch(await qemuIo(tgtd, "c2", "read -P 0x5a 0 1M"), /fail/i);
  });

  it("a LUN on a missing image is refused and leaves no client behind", async () => {
    assert.ok(tgtd);
    await remove(tgtd, 2);
    const idle = threads(tgtd.pid);
    await assert.rejects(exportRbd(tgtd, 4, "no-such-image", ceph.user));
    assert.equal(threads(tgtd.pid), idle);
  });

  it("the package's own module, for comparison, opens a client per LUN", async () => {
    const stock = await startTgtd({ dir, ioThreads: 2, modules: STOCK_TGT_MODULES });
    try {
      await exportRbd(stock, 1, "c2", ceph.user);
      const one = threads(stock.pid);
      await exportRbd(stock, 2, "c3", ceph.user);
      assert.ok(threads(stock.pid) >= one + 10, "stock: every LUN its own Ceph client");
    } finally {
      await stock.stop();
    }
  });
});
