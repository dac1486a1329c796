import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startCeph, type TestCeph } from "@bmi/testing";
import { AS, Harness, rejectsWith, run, sparseImage, type Backend } from "../testkit/harness";
import { crashMidSnapshot } from "../testkit/crash";
import { TEST_MAX_VIRTUAL_SIZE, intakeSuite } from "../testkit/intake-suite";
import { imageServiceSuite, waitClean } from "../testkit/suite";
import { CephDriver } from "./ceph";
import { isTmp } from "./ceph-names";
import { Rados } from "./rbd";

function cephBackend(ceph: TestCeph, dataDir: string, rados: Rados): Backend {
  const pool = rados.pool(ceph.pool);
  return {
    name: "ceph",
    driver: (log) => new CephDriver({ conf: ceph.conf, pool: ceph.pool, user: ceph.user, dataDir, log }),
    env: {
      BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: ceph.conf, BMI_IMAGE_CEPH_POOL: ceph.pool,
      BMI_IMAGE_CEPH_USER: ceph.user, BMI_IMAGE_DATA_DIR: dataDir,
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
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe("contract", () => imageServiceSuite(backend));

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
});
