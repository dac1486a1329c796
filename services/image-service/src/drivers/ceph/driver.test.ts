import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger, type Logger } from "@bmi/log";
import { connectRedis, deleteKeys } from "@bmi/redis";
import { startCeph, type TestCeph } from "@bmi/testing";
import { AS, Harness, rejectsWith, run, sparseImage, type Backend } from "../../testkit/harness";
import { crashMidSnapshot } from "../../testkit/crash";
import { TEST_MAX_VIRTUAL_SIZE, intakeSuite } from "../../testkit/intake-suite";
import { imageServiceSuite, waitClean } from "../../testkit/suite";
import { CephDriver } from "./driver";
import { isTmp } from "./names";
import { Rados } from "./rbd";

const REDIS_PREFIX = `bmi-test-ceph-${process.pid}:`;

function cephBackend(ceph: TestCeph, dataDir: string, rados: Rados): Backend {
  const pool = rados.pool(ceph.pool);
  return {
    name: "ceph",
    driver: (log) => new CephDriver({ conf: ceph.conf, pool: ceph.pool, user: ceph.user, dataDir, log }),
    env: {
      BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: ceph.conf, BMI_IMAGE_CEPH_POOL: ceph.pool,
      BMI_IMAGE_CEPH_USER: ceph.user, BMI_IMAGE_DATA_DIR: dataDir,
      // A separately started instance joins the pool's members in Redis: its own prefix, and a short lease, so that
      // a killed instance's leftovers count as abandoned seconds after the kill.
      BMI_REDIS_PREFIX: REDIS_PREFIX, BMI_IMAGE_LEASE_MS: "2000",
    },
    ioTarget: (disk) => ["-f", "raw", `rbd:${disk.backing?.rbd?.pool}/${disk.backing?.rbd?.image}:conf=${ceph.conf}:id=${ceph.user}`],
    async leftovers() {
      const names = await pool.list();
      const out = names.filter(isTmp);
      for (const disk of names.filter((n) => n.startsWith("disk~"))) {
        const snaps = await pool.with(disk, { readOnly: true }, (img) => img.snapList()).catch(() => [] as string[]);
        out.push(...snaps.map((s) => `${disk}@${s}`));
      }
      const files = readdirSync(path.join(dataDir, "ceph-tmp"), { withFileTypes: true }).map((f) => `ceph-tmp/${f.name}`);
      return [...out, ...files];
    },
  };
}

describe("image-service, ceph driver (single-node Ceph)", () => {
  let ceph: TestCeph;
  let rados: Rados;
  const dataDir = mkdtempSync(path.join(tmpdir(), "bmi-ceph-data-"));
  const backend = () => cephBackend(ceph, dataDir, rados);

  before(async () => {
    ceph = await startCeph();
    rados = await Rados.connect({ conf: ceph.conf, user: ceph.user });
  });
  after(async () => {
    await rados?.shutdown();
    await ceph?.stop();
    const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    await deleteKeys(redis, REDIS_PREFIX);
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Every driver here runs as ceph.user, "bmi": mon 'profile rbd', osd 'profile rbd pool=rbd', what a site gives BMI.
  describe("contract", () => imageServiceSuite(backend));

  it("logs the cluster's fsid; finds the user's keyring in the conf or in BMI_IMAGE_CEPH_KEYRING", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = { info: (o: object, msg: string) => lines.push({ ...o, msg }), warn() {}, error() {} } as unknown as Logger;
    const open = async (conf: string, keyring?: string) => {
      const driver = new CephDriver({ conf, pool: ceph.pool, user: ceph.user, dataDir, log, ...(keyring ? { keyring } : {}) });
      try {
        await driver.open();
      } finally {
        await driver.close();
      }
    };
    await open(ceph.conf);
    const { stdout: fsid } = await run("ceph", ["-c", ceph.conf, "fsid"]);
    assert.deepEqual(lines.find((l) => l.msg === "Ceph cluster"), {
      fsid: fsid.trim(), pool: ceph.pool, user: `client.${ceph.user}`, conf: ceph.conf, keyring: "(as ceph.conf names it, or the default path)", msg: "Ceph cluster",
    });
    // A conf that names no keyring for the user: librados falls back to the admin's ([client]), which has no bmi key.
    const bare = path.join(dataDir, "bare.conf");
    writeFileSync(bare, readFileSync(ceph.conf, "utf8").replace(/\[client\.bmi\][^[]*/, ""));
    await assert.rejects(open(bare));
    await open(bare, path.join(ceph.dir, "ceph.client.bmi.keyring"));
  });

  describe("uploads and imports inspected before they are opened", () => {
    intakeSuite(backend);

    it("refuses a Ceph image over the size limit", async () => {
      const h = new Harness(backend(), { maxVirtualSize: TEST_MAX_VIRTUAL_SIZE });
      await h.start();
      try {
        await run("rbd", ["-c", ceph.conf, "create", "--size", `${(TEST_MAX_VIRTUAL_SIZE >> 20) + 1}M`, `${ceph.pool}/outside-big`]);
        const req = { project: "pa", name: "big", ceph: { pool: ceph.pool, image: "outside-big", snapshot: "" }, format: 0, public: false };
        await rejectsWith(h.client.importImage(req, { authorization: AS.admin }), "INVALID_ARGUMENT");
        assert.deepEqual(await waitClean(h.backend), []);
      } finally {
        await run("rbd", ["-c", ceph.conf, "rm", `${ceph.pool}/outside-big`]).catch(() => undefined);
        await h.stop();
      }
    });
  });

  it("kill -9 in the middle of a snapshot, restart: nothing orphaned", () => crashMidSnapshot(backend()));

  it("imports an existing Ceph image and a snapshot of a clone (admins only)", async () => {
    const h = new Harness(backend());
    await h.start();
    try {
      const data = sparseImage(16, [2, 9]);
      await h.upload(AS.alice, { project: "pa", name: "src" }, data);
      await h.client.createDisk({ project: "pa", name: "n", image: "src" }, { authorization: AS.alice });
      const disk = (await h.client.getDisk({ project: "pa", name: "n" }, { authorization: AS.alice })).disk!;
      await h.diskIo(disk, "write -P 0x5a 0 1M");
      await run("rbd", ["-c", ceph.conf, "snap", "create", `${ceph.pool}/${disk.backing?.rbd?.image}@golden`]);
      const fromSnap = { project: "pa", name: "imp-snap", ceph: { pool: ceph.pool, image: "disk~pa~n", snapshot: "golden" } };
      const req = { ...fromSnap, format: 0, public: false };
      const imported = (await h.client.importImage(req, { authorization: AS.admin })).image!;
      const expected = Buffer.from(data);
      expected.fill(0x5a, 0, 1 << 20);
      assert.ok((await h.download(AS.alice, "pa", "imp-snap")).data.equals(expected), "import of a clone's snapshot lost data");
      assert.equal(imported.sizeBytes, data.length);
      const head = { project: "pa", name: "imp-head", ceph: { pool: ceph.pool, image: "img~pa~src", snapshot: "" }, format: 0, public: false };
      assert.ok((await h.download(AS.alice, "pa", (await h.client.importImage(head, { authorization: AS.admin })).image!.name)).data.equals(data));
      await run("rbd", ["-c", ceph.conf, "snap", "rm", `${ceph.pool}/disk~pa~n@golden`]);
      await h.client.deleteDisk({ project: "pa", name: "n" }, { authorization: AS.alice });
      for (const name of ["src", "imp-snap", "imp-head"]) await h.client.deleteImage({ project: "pa", name }, { authorization: AS.alice });
    } finally {
      await h.stop();
    }
  });

  it("imports from another pool that BMI's user may only read (profile rbd-read-only), leaving the source as it was", async () => {
    const admin = (cmd: string, ...args: string[]) => run(cmd, ["-c", ceph.conf, ...args]);
    const caps = (osd: string) => admin("ceph", "auth", "caps", `client.${ceph.user}`, "mon", "profile rbd", "osd", osd);
    const h = new Harness(backend());
    const file = path.join(dataDir, "legacy.raw");
    const data = sparseImage(8, [1, 6]);
    writeFileSync(file, data);
    await admin("ceph", "osd", "pool", "create", "legacy", "8", "8");
    await admin("rbd", "pool", "init", "legacy");
    await admin("rbd", "import", file, "legacy/old");
    await admin("rbd", "snap", "create", "legacy/old@s");
    await caps(`profile rbd pool=${ceph.pool}, profile rbd-read-only pool=legacy`);
    await h.start();
    try {
      for (const [name, snapshot] of [["old-head", ""], ["old-snap", "s"]] as const) {
        const req = { project: "pa", name, ceph: { pool: "legacy", image: "old", snapshot }, format: 0, public: false };
        await rejectsWith(h.client.importImage(req, { authorization: AS.alice }), "PERMISSION_DENIED");
        assert.equal((await h.client.importImage(req, { authorization: AS.admin })).image?.backend, `ceph:${ceph.pool}`);
        assert.ok((await h.download(AS.alice, "pa", name)).data.equals(data), `${name} differs from legacy/old`);
        await h.client.deleteImage({ project: "pa", name }, { authorization: AS.alice });
      }
      // Copies, not clones: nothing of BMI's hangs off the source.
      assert.equal((await admin("rbd", "children", "legacy/old@s")).stdout, "");
      await assert.rejects(run("rbd", ["-c", ceph.conf, "--id", ceph.user, "snap", "create", "legacy/old@mine"]), /Operation not permitted/);
    } finally {
      await h.stop();
      await caps(`profile rbd pool=${ceph.pool}`);
      await admin("ceph", "osd", "pool", "rm", "legacy", "legacy", "--yes-i-really-really-mean-it").catch(() => undefined);
    }
  });
});
