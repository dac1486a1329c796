import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { mkdir, readdir, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { AS, Harness, sparseImage, type Backend } from "../../testkit/harness";
import { crashMidSnapshot } from "../../testkit/crash";
import { intakeSuite } from "../../testkit/intake-suite";
import { imageServiceSuite } from "../../testkit/suite";
import { LocalDriver } from "./driver";
import { LocalLayout, type ImageSidecar } from "./layout";

function localBackend(dataDir: string): Backend {
  const layout = new LocalLayout(dataDir);
  return {
    name: "local",
    driver: (log) => new LocalDriver({ dataDir, log }),
    env: { BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: dataDir },
    ioTarget: (disk) => ["-f", "raw", disk.backing?.file?.path ?? ""],
    async leftovers() {
      const tmp = (await readdir(layout.tmpDir).catch(() => [])).map((f) => `tmp/${f}`);
      const strays: string[] = [];
      for (const [dir, ext] of [[layout.images, ".raw"], [layout.disks, ".qcow2"]] as const) {
        const names = await readdir(dir).catch(() => [] as string[]);
        for (const n of names) {
          if (n.endsWith(".tmp") || (n.endsWith(ext) && !names.includes(n.replace(ext, ".json")))) strays.push(`${path.basename(dir)}/${n}`);
        }
      }
      return [...tmp, ...strays];
    },
  };
}

/** Stops a storage daemon a failed test may have left running (by the PID file under `dataDir`, nothing else). */
function stopDaemon(dataDir: string): void {
  try {
    process.kill(Number(readFileSync(path.join(dataDir, "qsd", "qsd.pid"), "utf8")), "SIGTERM");
  } catch {
    // not running
  }
}

/** Alive and not a zombie (a detached daemon's parent is init, which may reap it late). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("image-service, local driver", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "bmi-local-"));
  after(() => { stopDaemon(dataDir); rmSync(dataDir, { recursive: true, force: true }); });
  imageServiceSuite(() => localBackend(dataDir));
});

describe("local driver: uploads and imports inspected before they are opened", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "bmi-local-"));
  after(() => { stopDaemon(dataDir); rmSync(dataDir, { recursive: true, force: true }); });
  intakeSuite(() => localBackend(dataDir));
});

describe("local driver: crash and scale", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "bmi-local-"));
  after(() => { stopDaemon(dataDir); rmSync(dataDir, { recursive: true, force: true }); });

  it("kill -9 in the middle of a snapshot, restart: nothing orphaned", () => crashMidSnapshot(localBackend(dataDir)));

  it("a storage daemon killed with the service: dead FUSE mounts cleared, disks exported again", async () => {
    const h = new Harness(localBackend(dataDir));
    await h.start();
    try {
      await h.upload(AS.alice, { project: "pa", name: "img" }, sparseImage(8, [1]));
      const disk = (await h.client.createDisk({ project: "pa", name: "n", image: "img" }, { authorization: AS.alice })).disk!;
      await h.diskIo(disk, "write -P 0x77 0 64k");
      process.kill(Number(readFileSync(path.join(dataDir, "qsd", "qsd.pid"), "utf8")), "SIGKILL");
      await h.stop();
      await h.start();
      await h.diskIo(disk, "read -P 0x77 0 64k");
      await h.client.deleteDisk({ project: "pa", name: "n" }, { authorization: AS.alice });
      await h.client.deleteImage({ project: "pa", name: "img" }, { authorization: AS.alice });
    } finally {
      await h.stop();
    }
    assert.ok(!readFileSync("/proc/self/mountinfo", "utf8").includes(dataDir), "a FUSE mount is left");
  });

  it("with keepExports, disks stay served while the service restarts (the daemon is adopted)", async () => {
    const keep: Backend = { ...localBackend(dataDir), driver: (log) => new LocalDriver({ dataDir, log, keepExports: true }) };
    const h = new Harness(keep);
    await h.start();
    let disk;
    try {
      await h.upload(AS.alice, { project: "pa", name: "kept" }, sparseImage(8, [1]));
      disk = (await h.client.createDisk({ project: "pa", name: "kept-n", image: "kept" }, { authorization: AS.alice })).disk!;
      await h.diskIo(disk, "write -P 0x42 0 64k");
    } finally {
      await h.stop();
    }
    const pid = Number(readFileSync(path.join(dataDir, "qsd", "qsd.pid"), "utf8"));
    assert.ok(running(pid), "the daemon serves while no image-service runs");
    await new Harness(keep).diskIo(disk, "read -P 0x42 0 64k");
    const again = new Harness(localBackend(dataDir)); // without keepExports: adopts it, stops it at the end
    await again.start();
    try {
      await again.client.deleteDisk({ project: "pa", name: "kept-n" }, { authorization: AS.alice });
      await again.client.deleteImage({ project: "pa", name: "kept" }, { authorization: AS.alice });
    } finally {
      await again.stop();
    }
    assert.ok(!running(pid), "the adopted daemon was stopped");
  });

  it("lists 5,000 images quickly, in pages", async () => {
    // Written straight into the store (the driver would spend most of a minute on fsyncs): this is the format the
    // driver reads back at start-up.
    const layout = new LocalLayout(dataDir);
    await mkdir(layout.images, { recursive: true });
    for (let i = 0; i < 5000; i++) {
      const id = `f${String(i).padStart(15, "0")}`;
      const meta: ImageSidecar = {
        id, project: "pa", name: `img-${String(i).padStart(4, "0")}`, sizeBytes: 1 << 20, checksum: "0".repeat(64),
        parent: "", created: new Date().toISOString(), public: false, sourceDisk: "",
      };
      await writeFile(layout.imageMeta(id), JSON.stringify(meta));
      await writeFile(layout.imageFile(id), "");
      await truncate(layout.imageFile(id), 1 << 20);
    }
    const h = new Harness(localBackend(dataDir));
    const t0 = performance.now();
    await h.start();
    const opened = performance.now() - t0;
    try {
      const t1 = performance.now();
      const all = await h.client.listImages({ project: "pa", includePublic: true, pageSize: 5000, pageToken: "" }, { authorization: AS.alice });
      const listed = performance.now() - t1;
      assert.equal(all.images.length, 5000);
      assert.equal(all.nextPageToken, "");
      const names: string[] = [];
      for (let token = ""; ;) {
        const page = await h.client.listImages({ project: "pa", includePublic: false, pageSize: 1000, pageToken: token }, { authorization: AS.alice });
        names.push(...page.images.map((i) => i.name));
        if (!(token = page.nextPageToken)) break;
      }
      assert.deepEqual(names, all.images.map((i) => i.name));
      assert.equal(new Set(names).size, 5000);
      process.stdout.write(`# 5,000 images: start-up scan ${opened.toFixed(0)} ms, one ListImages ${listed.toFixed(0)} ms\n`);
      assert.ok(listed < 2000, `ListImages of 5,000 took ${listed} ms`);
    } finally {
      await h.stop();
    }
    assert.equal(readdirSync(layout.images).length, 10_000);
  });
});
