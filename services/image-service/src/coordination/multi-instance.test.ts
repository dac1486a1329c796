import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { until } from "@bmi/async";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { connectRedis, deleteKeys, type Redis } from "@bmi/redis";
import { REPO_ROOT, startCeph, startServiceOnFreePort, testClientTls, type RunningService, type TestCeph } from "@bmi/testing";
import { sparseImage, upload } from "../testkit/harness";

const run = promisify(execFile);
const MAIN = path.join(REPO_ROOT, "services", "image-service", "dist", "main.js");
const HOOK = path.join(REPO_ROOT, "services", "image-service", "dist", "testkit", "hold-hook.js");
const LEASE_MS = 3000;
const P = "pm";
const o = { authorization: "" };

interface Instance {
  svc: RunningService;
  client: PromiseClient<ImageServiceClient>;
}

/** The code of a domain error (or "OK"), for outcomes of calls raced against each other. */
async function outcome<T>(p: Promise<T>): Promise<{ code: string; value?: T }> {
  try {
    return { code: "OK", value: await p };
  } catch (err) {
    return { code: String((err as { code?: string }).code ?? (err as Error).message) };
  }
}

/**
 * Several image-service processes on one Ceph pool and one Redis (issue 14, point 5). Every check of what exists is
 * made on the pool itself (`rbd ls` as the cluster's admin), never on what the services answer about themselves.
 */
describe("several image-services on one Ceph pool", () => {
  let ceph: TestCeph;
  let redis: Redis;
  const dir = mkdtempSync(path.join(tmpdir(), "bmi-image-multi-"));
  const prefix = `bmi-test-multi-${process.pid}:`;
  const running: Instance[] = [];
  let a: Instance;
  let b: Instance;

  const start = async (name: string, env: Record<string, string> = {}): Promise<Instance> => {
    const svc = await startServiceOnFreePort({
      service: "image-service", main: MAIN, logDir: dir, timeoutMs: 60_000, env: {
        BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: ceph.conf, BMI_IMAGE_CEPH_POOL: ceph.pool, BMI_IMAGE_CEPH_USER: ceph.user,
        BMI_IMAGE_DATA_DIR: path.join(dir, name), BMI_REDIS_PREFIX: prefix, BMI_IMAGE_LEASE_MS: String(LEASE_MS), BMI_AUTH: "none", ...env,
      },
    }, "BMI_IMAGE_LISTEN");
    const inst = { svc, client: createClient(ImageServiceClient, svc.address, { deadlineMs: 120_000, tls: testClientTls() }) };
    running.push(inst);
    return inst;
  };

  /** An instance whose first commit under a lock named `lock` waits (hold-hook.ts) until the test lets it go. */
  const startHeld = async (name: string, lock: string) => {
    const hold = path.join(dir, `hold-${name}`);
    mkdirSync(hold, { recursive: true });
    const inst = await start(name, { NODE_OPTIONS: `--require ${HOOK}`, BMI_TEST_HOLD_AT_FENCE: `${lock}|${hold}` });
    return {
      ...inst,
      waiting: () => until(`${name} waiting at its commit`, async () => existsSync(path.join(hold, "waiting")), 60_000, 20),
      go: () => writeFileSync(path.join(hold, "go"), ""),
    };
  };

  /** Every name in the pool. */
  const rbdLs = async (): Promise<string[]> =>
    (await run("rbd", ["-c", ceph.conf, "ls", ceph.pool])).stdout.split("\n").filter((n) => n !== "").sort();
  const disksInPool = async () => (await rbdLs()).filter((n) => n.startsWith(`disk~${P}~`)).map((n) => n.split("~")[2]).sort();
  const imagesInPool = async () => (await rbdLs()).filter((n) => n.startsWith(`img~${P}~`)).map((n) => n.split("~")[2]).sort();
  const tmpInPool = async () => (await rbdLs()).filter((n) => n.startsWith("tmp~"));
  const rbdId = async (name: string) =>
    (JSON.parse((await run("rbd", ["-c", ceph.conf, "info", "--format", "json", `${ceph.pool}/${name}`])).stdout) as { id: string }).id;
  const listed = async (inst: Instance) => (await inst.client.listDisks({ project: P }, o)).disks.map((d) => d.name).sort();

  before(async () => {
    ceph = await startCeph();
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    a = await start("a");
    b = await start("b");
    const data = sparseImage(8, [0, 5]);
    await upload(a.client, "", { project: P, name: "base1" }, data);
    await upload(b.client, "", { project: P, name: "base2" }, data);
  });

  after(async () => {
    for (const inst of running) {
      inst.client.close();
      try {
        process.kill(inst.svc.pid, "SIGCONT"); // one a test stopped, should it have failed meanwhile
      } catch {
        // exited already
      }
      await inst.svc.stop(10_000);
    }
    await ceph?.stop();
    if (redis) {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("concurrent creates, deletes and snapshots of the same disks through two instances: no lost or doubled disk, nothing in use removed", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `d${i}`);
    // The same disk asked of both at once: both answer it, exactly one made it.
    const pairs = await Promise.all(names.map((name) => Promise.all([a, b].map((i) => i.client.createDisk({ project: P, name, image: "base1" }, o)))));
    const maker = new Map<string, Instance>();
    for (const [i, [fromA, fromB]] of pairs.entries()) {
      assert.equal(Number(fromA!.created) + Number(fromB!.created), 1, `${names[i]}: made ${Number(fromA!.created) + Number(fromB!.created)} times`);
      maker.set(names[i]!, fromA!.created ? a : b);
    }
    assert.deepEqual(await disksInPool(), [...names].sort());
    assert.deepEqual(await tmpInPool(), []);
    const other = (name: string) => (maker.get(name) === a ? b : a);

    // All at once: deletes through the instance that did not make the disk (one instance's catalog never saw it),
    // the same delete through both, snapshots raced against deletes, the image deleted while its disks exist, and
    // creates raced against deletes of new names.
    const fresh = ["f0", "f1", "f2", "f3"];
    const [deletes, twice, snaps, imageDeletes, races] = await Promise.all([
      Promise.all(["d0", "d1", "d2", "d3"].map((name) => outcome(other(name).client.deleteDisk({ project: P, name }, o)))),
      Promise.all(["d4", "d5"].map((name) => Promise.all([a, b].map((i) => outcome(i.client.deleteDisk({ project: P, name }, o)))))),
      Promise.all(["d6", "d7", "d8"].map((name) => Promise.all([
        outcome(maker.get(name)!.client.createSnapshot({ project: P, disk: name, name: `s-${name}` }, o)),
        outcome(other(name).client.deleteDisk({ project: P, name }, o)),
      ]))),
      Promise.all([a, b].map((i) => outcome(i.client.deleteImage({ project: P, name: "base1" }, o)))),
      Promise.all(fresh.map((name, k) => Promise.all([
        outcome((k % 2 ? a : b).client.createDisk({ project: P, name, image: "base2" }, o)),
        outcome((k % 2 ? b : a).client.deleteDisk({ project: P, name }, o)),
      ]))),
    ]);
    assert.deepEqual(deletes.map((d) => d.code), ["OK", "OK", "OK", "OK"]);
    for (const pair of twice) assert.deepEqual(pair.map((d) => d.code).sort(), ["NOT_FOUND", "OK"]);
    const snapshots: string[] = [];
    for (const [k, [snap, del]] of snaps.entries()) {
      assert.equal(del!.code, "OK");
      assert.ok(["OK", "NOT_FOUND"].includes(snap!.code), `snapshot of d${6 + k}: ${snap!.code}`);
      if (snap!.code === "OK") snapshots.push(`s-d${6 + k}`);
    }
    assert.deepEqual(imageDeletes.map((d) => d.code), ["FAILED_PRECONDITION", "FAILED_PRECONDITION"]);
    const kept: string[] = [];
    for (const [k, [create, del]] of races.entries()) {
      assert.equal(create!.code, "OK");
      // A delete that found the disk came after its creation; one that did not came before, and the disk stays.
      if (del!.code === "NOT_FOUND") kept.push(fresh[k]!);
      else assert.equal(del!.code, "OK");
    }
    const want = ["d9", "d10", "d11", ...kept].sort();
    assert.deepEqual(await disksInPool(), want, "disks in the pool");
    assert.deepEqual(await imagesInPool(), ["base1", "base2", ...snapshots].sort(), "images in the pool");
    assert.deepEqual(await tmpInPool(), []);
    // Both instances list what the pool holds (change messages, else the next sweep).
    for (const inst of [a, b]) await until("the instance's list to match the pool", async () => (await listed(inst)).join() === want.join(), 30_000, 50);

    // Everything goes again, each disk through the instance that did not make it; then the image, through both at once.
    await Promise.all(want.map((name) => (maker.get(name) ? other(name) : a).client.deleteDisk({ project: P, name }, o)));
    const last = await Promise.all([a, b].map((i) => outcome(i.client.deleteImage({ project: P, name: "base1" }, o))));
    assert.deepEqual(last.map((d) => d.code).sort(), ["NOT_FOUND", "OK"]);
    await Promise.all(snapshots.map((name, k) => (k % 2 ? a : b).client.deleteImage({ project: P, name }, o)));
    assert.deepEqual(await disksInPool(), []);
    assert.deepEqual(await imagesInPool(), ["base2"]);
    assert.deepEqual(await tmpInPool(), []);
  });

  it("a starting instance's sweep leaves another's work in progress alone; it is committed afterwards", async () => {
    const c = await startHeld("c", `disk:${P}/held`);
    const made = c.client.createDisk({ project: P, name: "held", image: "base2" }, o);
    await c.waiting();
    // C's clone is in the pool under its tmp~ name, not yet renamed: the work in progress.
    const wip = await tmpInPool();
    assert.equal(wip.length, 1);
    assert.match(wip[0]!, /^tmp~[0-9a-f]+~[0-9a-f]+$/);
    // A new instance sweeps at start-up; the running ones sweep every lease. None of them touches C's clone.
    await start("d");
    await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS));
    assert.deepEqual(await tmpInPool(), wip);
    c.go();
    assert.equal((await made).created, true);
    assert.deepEqual(await disksInPool(), ["held"]);
    assert.deepEqual(await tmpInPool(), []);
    await b.client.deleteDisk({ project: P, name: "held" }, o);
  });

  it("a stopped instance's stale delete never removes the disk made again after its lock was taken over (fencing)", async () => {
    await a.client.createDisk({ project: P, name: "reused", image: "base2" }, o);
    // G decides to delete the disk, holds its lock, and stops right before the rename that removes it.
    const g = await startHeld("g", `disk:${P}/reused`);
    const stale = outcome(g.client.deleteDisk({ project: P, name: "reused" }, o));
    await g.waiting();
    process.kill(g.svc.pid, "SIGSTOP");
    // Meanwhile the disk is deleted and made again (a node released and provisioned anew) through A.
    await a.client.deleteDisk({ project: P, name: "reused" }, o);
    assert.equal((await a.client.createDisk({ project: P, name: "reused", image: "base2" }, o)).created, true);
    const id = await rbdId(`disk~${P}~reused`);
    g.go();
    process.kill(g.svc.pid, "SIGCONT");
    assert.equal((await stale).code, "ABORTED");
    assert.deepEqual(await disksInPool(), ["reused"]);
    assert.equal(await rbdId(`disk~${P}~reused`), id, "the new disk is untouched");
    await a.client.deleteDisk({ project: P, name: "reused" }, o);
  });

  it("a stopped instance's lock is taken over and its stale commit refused (fencing); a crashed one's leftovers are removed", async () => {
    // E holds the disk's lock, its clone made, and stops (a pause, a partition) past its lease.
    const e = await startHeld("e", `disk:${P}/stale`);
    const stale = outcome(e.client.createDisk({ project: P, name: "stale", image: "base2" }, o));
    await e.waiting();
    process.kill(e.svc.pid, "SIGSTOP");
    // A waits out E's lease, then makes the disk itself.
    const fromA = await a.client.createDisk({ project: P, name: "stale", image: "base2" }, o);
    assert.equal(fromA.created, true);
    const id = await rbdId(`disk~${P}~stale`);
    // E wakes up and goes on to commit: its fence finds the lock another's, and it commits nothing.
    e.go();
    process.kill(e.svc.pid, "SIGCONT");
    const late = await stale;
    assert.equal(late.code, "ABORTED", `E's late commit: ${late.code}`);
    assert.match(readFileSync(e.svc.logFile, "utf8"), /lock lost|was lost/);
    assert.deepEqual(await disksInPool(), ["stale"]);
    assert.equal(await rbdId(`disk~${P}~stale`), id, "the disk A made is the one in the pool");
    await until("no temporaries", async () => (await tmpInPool()).length === 0, 30_000, 100);

    // F crashes holding the lock of another disk, its clone in the pool: B takes the lock over once F's lease runs
    // out, and F's clone is removed by a sweep once F counts as dead.
    const f = await startHeld("f", `disk:${P}/crash`);
    void f.client.createDisk({ project: P, name: "crash", image: "base2" }, o).catch(() => undefined);
    await f.waiting();
    assert.equal((await tmpInPool()).length, 1);
    await f.svc.kill();
    assert.equal((await b.client.createDisk({ project: P, name: "crash", image: "base2" }, o)).created, true);
    await until("the crashed instance's clone removed", async () => (await tmpInPool()).length === 0, 60_000, 100);
    assert.deepEqual(await disksInPool(), ["crash", "stale"]);
    for (const name of ["crash", "stale"]) await b.client.deleteDisk({ project: P, name }, o);
    assert.deepEqual(await disksInPool(), []);
  });
});
