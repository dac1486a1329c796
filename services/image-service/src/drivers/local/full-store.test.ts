import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { AS, Harness, sparseImage, type Backend } from "../../testkit/harness";
import { killDaemons } from "../../testkit/crash";
import { LocalDriver } from "./driver";

/**
 * The local driver on a file system that fills up (a 40 MiB tmpfs): qemu-img and the service's own writes running
 * out of space answer RESOURCE_EXHAUSTED with the reason, not INTERNAL, and leave nothing half-written behind.
 */
describe("local driver: the image store full", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "bmi-local-full-"));
  const o = { authorization: AS.alice };
  let h: Harness;
  before(async () => {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=40m", "tmpfs", dataDir]);
    const backend: Backend = {
      name: "local", driver: (log) => new LocalDriver({ dataDir, log }), env: {},
      ioTarget: (disk) => ["-f", "raw", disk.backing?.file?.path ?? ""], leftovers: async () => [],
    };
    h = new Harness(backend);
    await h.start();
  });
  after(async () => {
    await h?.stop();
    await killDaemons(dataDir);
    execFileSync("umount", ["-l", dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const full = async (call: Promise<unknown>, reason: RegExp) => {
    await assert.rejects(call, (err: { code?: string; message: string }) => {
      assert.equal(err.code, "RESOURCE_EXHAUSTED", err.message);
      assert.match(err.message, reason);
      return true;
    });
    assert.deepEqual(readdirSync(path.join(dataDir, "tmp")), [], "a half-written file left in tmp/");
  };

  it("answers RESOURCE_EXHAUSTED for a copy, an upload and a snapshot that do not fit, and keeps what fit", async () => {
    const data = sparseImage(24, Array.from({ length: 24 }, (_, i) => i)); // 24 MiB, no zero MiB: nothing sparse
    await h.upload(AS.alice, { project: "pa", name: "a" }, data);
    await full(h.client.copyImage({ project: "pa", name: "a", newProject: "", newName: "b" }, o), /qemu-img convert: the image store is full \(.*No space left on device/);
    await full(h.upload(AS.alice, { project: "pa", name: "c" }, data), /image pa\/c: the image store is full/);
    const disk = (await h.client.createDisk({ project: "pa", name: "n", image: "a" }, o)).disk!;
    await full(h.client.createSnapshot({ project: "pa", disk: "n", name: "s" }, o), /qemu-img convert: the image store is full/);
    assert.deepEqual((await h.client.listImages({ project: "pa", includePublic: false, pageSize: 0, pageToken: "" }, o)).images.map((i) => i.name), ["a"]);
    await h.diskIo(disk, "read 0 64k");
    await h.client.deleteDisk({ project: "pa", name: "n" }, o);
    await h.client.deleteImage({ project: "pa", name: "a" }, o);
  });
});
