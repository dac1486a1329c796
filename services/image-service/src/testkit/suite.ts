import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, it } from "node:test";
import { ImageFormat, type Disk } from "@bmi/proto/bmi/image/v1/image";
import { AS, Harness, rejectsWith, run, sha256, sparseImage, type Backend } from "./harness";
import { tempDir } from "@bmi/testing";

/**
 * The ImageService contract against one real back end, through real gRPC. Tests run in order and build on each
 * other: golden image, disks, writes, snapshots, restart, clean-up.
 */
export function imageServiceSuite(backend: () => Backend): void {
  let h: Harness;
  const golden = sparseImage(256, [0, 100, 255]);
  const pa = (name: string) => ({ project: "pa", name });
  const disks: Record<string, Disk> = {};

  before(async () => {
    h = new Harness(backend());
    await h.start();
  });
  after(() => h.stop());

  const clean = async () => assert.deepEqual(await waitClean(h.backend), []);
  // What ListImages and ListDisks say holds them (`bmi image ls`, `bmi disk ls`).
  const where = () => (h.backend.name === "local" ? "local" : `ceph:${h.backend.env.BMI_IMAGE_CEPH_POOL}`);

  it("uploads a sparse 256 MiB image and downloads it byte-identical", async () => {
    const image = await h.upload(AS.alice, { ...pa("golden"), format: ImageFormat.IMAGE_FORMAT_RAW }, golden);
    assert.equal(image.sizeBytes, golden.length);
    assert.equal(image.checksum, sha256(golden));
    assert.equal(image.backend, where());
    const back = await h.download(AS.alice, "pa", "golden");
    assert.equal(back.sizeBytes, golden.length);
    assert.equal(back.checksum, sha256(golden));
    assert.ok(back.data.equals(golden), "downloaded bytes differ");
  });

  it("uploads qcow2 and stores it raw; imports a server-side file for admins only", async () => {
    const dir = tempDir("bmi-img-");
    const raw = sparseImage(8, [1, 6]);
    writeFileSync(path.join(dir, "x.raw"), raw);
    await run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", path.join(dir, "x.raw"), path.join(dir, "x.qcow2")]);
    const qcow2 = await import("node:fs/promises").then((fs) => fs.readFile(path.join(dir, "x.qcow2")));
    const up = await h.upload(AS.alice, { ...pa("from-qcow2"), format: ImageFormat.IMAGE_FORMAT_QCOW2 }, qcow2);
    assert.equal(up.checksum, sha256(raw));
    assert.ok((await h.download(AS.alice, "pa", "from-qcow2")).data.equals(raw));
    const req = { ...pa("imported"), filePath: path.join(dir, "x.qcow2"), format: ImageFormat.IMAGE_FORMAT_UNSPECIFIED, public: false };
    await rejectsWith(h.client.importImage(req, { authorization: AS.alice }), "PERMISSION_DENIED");
    const imported = await h.client.importImage(req, { authorization: AS.admin });
    assert.equal(imported.image?.checksum, sha256(raw));
    for (const name of ["from-qcow2", "imported"]) await h.client.deleteImage(pa(name), { authorization: AS.alice });
  });

  it("keeps nothing of an upload with a wrong checksum (DATA_LOSS) or a broken stream", async () => {
    const data = sparseImage(16, [3]);
    await rejectsWith(h.upload(AS.alice, pa("bad-sum"), data, { checksum: "0".repeat(64) }), "DATA_LOSS");
    // Cancelled once the server is writing: grpc-js does not tell a server about a call cancelled before it began.
    const writing = async () => (await h.backend.leftovers()).length > 0;
    await rejectsWith(h.upload(AS.alice, pa("broken"), data, { cancelAfter: 5, cancelWhen: writing }), "CANCELLED");
    await clean();
    for (const name of ["bad-sum", "broken"]) await rejectsWith(h.client.getImage(pa(name), { authorization: AS.alice }), "NOT_FOUND");
  });

  it("creates disks idempotently", async () => {
    const first = await h.client.createDisk({ ...pa("n1"), image: "golden" }, { authorization: AS.alice });
    assert.equal(first.created, true);
    assert.equal(first.disk?.backend, where());
    const again = await h.client.createDisk({ ...pa("n1"), image: "pa/golden" }, { authorization: AS.alice });
    assert.equal(again.created, false);
    assert.deepEqual(again.disk?.backing, first.disk?.backing);
    disks.n1 = first.disk!;
    disks.n2 = (await h.client.createDisk({ ...pa("n2"), image: "golden" }, { authorization: AS.alice })).disk!;
    await h.upload(AS.alice, pa("other"), sparseImage(4, [0]));
    await rejectsWith(h.client.createDisk({ ...pa("n1"), image: "other" }, { authorization: AS.alice }), "ALREADY_EXISTS");
    await h.client.deleteImage(pa("other"), { authorization: AS.alice });
  });

  it("a snapshot holds the disk's write; the golden image and a sibling disk do not", async () => {
    await h.diskIo(disks.n1!, "write -P 0xab 4M 1M");
    const snap = await h.client.createSnapshot({ project: "pa", disk: "n1", name: "snap1" }, { authorization: AS.alice });
    assert.equal(snap.image?.sourceDisk, "pa/n1");
    assert.equal(snap.image?.parent, "pa/golden");
    const expected = Buffer.from(golden);
    expected.fill(0xab, 4 << 20, 5 << 20);
    const got = await h.download(AS.alice, "pa", "snap1");
    assert.ok(got.data.equals(expected), "snapshot does not hold the write");
    assert.equal(got.checksum, sha256(expected));
    assert.ok((await h.download(AS.alice, "pa", "golden")).data.equals(golden), "golden image changed");
    await h.diskIo(disks.n2!, "read -P 0 4M 1M");
    // The same disk again (the original BMI failed here: its fixed temporary snapshot name was never removed).
    await h.client.createSnapshot({ project: "pa", disk: "n1", name: "snap2" }, { authorization: AS.alice });
    await clean();
    const snaps = (await h.client.listSnapshots({ project: "pa" }, { authorization: AS.alice })).snapshots;
    assert.deepEqual(snaps.map((s) => s.name), ["snap1", "snap2"]);
    const g = (await h.client.getImage(pa("golden"), { authorization: AS.alice })).image!;
    assert.deepEqual([g.diskCount, g.snapshotCount], [2, 2]);
  });

  it("refuses to delete an image while disks depend on it", async () => {
    await rejectsWith(h.client.deleteImage(pa("golden"), { authorization: AS.alice }), "FAILED_PRECONDITION");
  });

  it("copies deep and renames; disks follow a rename", async () => {
    const copy = await h.client.copyImage({ ...pa("golden"), newName: "golden-copy", newProject: "" }, { authorization: AS.alice });
    assert.equal(copy.image?.checksum, sha256(golden));
    await h.client.renameImage({ ...pa("golden"), newName: "golden-v2" }, { authorization: AS.alice });
    assert.equal((await h.client.getDisk(pa("n1"), { authorization: AS.alice })).disk?.image, "pa/golden-v2");
    await rejectsWith(h.client.renameImage({ ...pa("golden-v2"), newName: "golden-copy" }, { authorization: AS.alice }), "ALREADY_EXISTS");
    await h.client.renameImage({ ...pa("golden-v2"), newName: "golden" }, { authorization: AS.alice });
    await h.client.deleteImage(pa("golden-copy"), { authorization: AS.alice });
  });

  it("hides another project's private image (NOT_FOUND) and shares it once public", async () => {
    await rejectsWith(h.client.getImage(pa("golden"), { authorization: AS.bob }), "NOT_FOUND");
    const nb = { project: "pb", name: "nb", image: "pa/golden" };
    await rejectsWith(h.client.createDisk(nb, { authorization: AS.bob }), "NOT_FOUND");
    const listed = await h.client.listImages({ project: "pb", includePublic: true, pageSize: 0, pageToken: "" }, { authorization: AS.bob });
    assert.deepEqual(listed.images, []);
    await h.client.setImageVisibility({ ...pa("golden"), public: true }, { authorization: AS.alice });
    assert.equal((await h.client.getImage(pa("golden"), { authorization: AS.bob })).image?.public, true);
    assert.equal((await h.client.createDisk(nb, { authorization: AS.bob })).created, true);
    // Not yours is NOT_FOUND, even for an image the caller may see and clone (the access policy in @bmi/grpc).
    await rejectsWith(h.client.deleteImage(pa("golden"), { authorization: AS.bob }), "NOT_FOUND");
    await h.client.deleteDisk({ project: "pb", name: "nb" }, { authorization: AS.bob });
    await h.client.setImageVisibility({ ...pa("golden"), public: false }, { authorization: AS.alice });
  });

  it("a download the client abandons does not keep the image busy", async () => {
    const stream = h.client.raw.downloadImage(pa("golden"), h.client.metadata({ authorization: AS.alice }), h.client.callOptions());
    stream.on("error", () => undefined);
    await new Promise((r) => stream.once("data", r));
    stream.pause(); // the server's writes back up: it waits for a drain that never comes
    await new Promise((r) => setTimeout(r, 300));
    stream.cancel();
    await h.client.setImageVisibility({ ...pa("golden"), public: false }, { authorization: AS.alice, deadlineMs: 5000 });
  });

  it("refuses bad names with INVALID_ARGUMENT before storage sees them", async () => {
    const o = { authorization: AS.admin };
    for (const bad of ["", "UPPER", "../etc", "a/b", "-x", "x".repeat(64), "a b", "a~b", "a..b", "img\n"]) {
      await rejectsWith(h.client.getImage({ project: "pa", name: bad }, o), "INVALID_ARGUMENT");
      await rejectsWith(h.client.getImage({ project: bad, name: "golden" }, o), "INVALID_ARGUMENT");
      await rejectsWith(h.client.createDisk({ project: "pa", name: bad, image: "golden" }, o), "INVALID_ARGUMENT");
      if (bad !== "a/b") await rejectsWith(h.client.createDisk({ project: "pa", name: "ok", image: bad }, o), "INVALID_ARGUMENT");
      await rejectsWith(h.client.createSnapshot({ project: "pa", disk: "n1", name: bad }, o), "INVALID_ARGUMENT");
      await rejectsWith(h.client.renameImage({ ...pa("golden"), newName: bad }, o), "INVALID_ARGUMENT");
      await rejectsWith(h.client.copyImage({ ...pa("golden"), newName: "ok", newProject: bad === "" ? "A" : bad }, o), "INVALID_ARGUMENT");
      await rejectsWith(h.upload(AS.admin, { project: "pa", name: bad }, sparseImage(1, [])), "INVALID_ARGUMENT");
    }
    const imp = (source: object) => h.client.importImage({ ...pa("imp"), format: 0, public: false, ...source }, o);
    for (const filePath of ["relative/x.raw", "/tmp/../etc/passwd", "/tmp/a\nb"]) await rejectsWith(imp({ filePath }), "INVALID_ARGUMENT");
    await rejectsWith(imp({ ceph: { pool: "rbd/x", image: "i", snapshot: "" } }), "INVALID_ARGUMENT");
    await rejectsWith(imp({ ceph: { pool: "rbd", image: "a b", snapshot: "" } }), "INVALID_ARGUMENT");
    await rejectsWith(h.client.getDisk(pa("ok"), o), "NOT_FOUND");
    await clean();
  });

  it("restarts with everything read back from storage", async () => {
    await h.stop();
    await h.start();
    const listed = await h.client.listDisks({ project: "pa" }, { authorization: AS.alice });
    assert.deepEqual(listed.disks.map((d) => [d.name, d.image, d.backend]), [["n1", "pa/golden", where()], ["n2", "pa/golden", where()]]);
    const snap2 = (await h.client.getImage(pa("snap2"), { authorization: AS.alice })).image;
    assert.deepEqual([snap2?.sourceDisk, snap2?.backend], ["pa/n1", where()]);
    await h.diskIo(disks.n1!, "read -P 0xab 4M 1M");
  });

  it("deletes disks, then the image, leaving nothing behind", async () => {
    for (const n of ["n1", "n2"]) await h.client.deleteDisk(pa(n), { authorization: AS.alice });
    await rejectsWith(h.client.getDisk(pa("n1"), { authorization: AS.alice }), "NOT_FOUND");
    for (const n of ["golden", "snap1", "snap2"]) await h.client.deleteImage(pa(n), { authorization: AS.alice });
    const left = await h.client.listImages({ project: "pa", includePublic: false, pageSize: 0, pageToken: "" }, { authorization: AS.alice });
    assert.deepEqual(left.images, []);
    await clean();
  });
}

/** Leftovers, after giving a just-failed call's clean-up a moment to finish (it runs after the error is sent). */
export async function waitClean(backend: Backend, ms = 3000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = await backend.leftovers();
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
