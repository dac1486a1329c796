import assert from "node:assert/strict";
import { readFile, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, it } from "node:test";
import { tempDir } from "@bmi/testing";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { AS, Harness, run, sparseImage, type Backend } from "./harness";
import { foreignImages, referencingImages, type OfferedFile } from "./hostile-images";
import { waitClean } from "./suite";
import { fifoTripwire, socketTripwire, type Tripwire } from "./tripwires";

/** The size limit the suite's service runs with: small enough to exceed with a sparse file. */
export const TEST_MAX_VIRTUAL_SIZE = 64 << 20;

const FORMATS = { raw: ImageFormat.IMAGE_FORMAT_RAW, qcow2: ImageFormat.IMAGE_FORMAT_QCOW2 } as const;

/**
 * Uploads and imports that must be refused with INVALID_ARGUMENT before anything opens them, against one real back
 * end: images naming a host file, a socket or a URL, foreign formats, sizes over the limit. After each, nothing
 * is stored, and nothing the images name was ever opened or connected to (tripwires, not only the answer).
 */
export function intakeSuite(backend: () => Backend): void {
  let h: Harness;
  let dir: string;
  const wires: Tripwire[] = [];

  before(async () => {
    dir = tempDir("bmi-intake-");
    h = new Harness(backend(), { maxVirtualSize: TEST_MAX_VIRTUAL_SIZE });
    await h.start();
  });
  after(async () => {
    for (const w of wires) await w.close();
    await h?.stop();
  });

  const pa = (name: string) => ({ project: "pa", name });
  const o = { authorization: AS.admin };

  /** The tripwires the hostile images name, set afresh for each test. */
  async function targets() {
    const sub = tempDir("bmi-intake-targets-");
    const hostFile = await fifoTripwire(sub);
    const nbd = await socketTripwire(path.join(sub, "nbd.sock"));
    const http = await socketTripwire();
    wires.push(hostFile, nbd, http);
    return { dir: sub, t: { hostFile: hostFile.target, nbdSocket: nbd.target, httpPort: http.port } };
  }

  /**
   * Offers `f` every way a caller can: uploads declared raw and qcow2, and an admin's import with the format
   * detected (or declared, for what is refused only as declared).
   */
  async function refusedEveryWay(f: OfferedFile, name: string): Promise<void> {
    const data = await readFile(f.file);
    for (const format of f.onlyAsDeclared ? [f.format] : (["raw", "qcow2"] as const)) {
      const err = await refusal(h.upload(AS.alice, { ...pa(name), format: FORMATS[format] }, data));
      if (format === f.format) assert.match(err, f.refusal, `${f.kind}, uploaded as ${format}`);
    }
    const format = f.onlyAsDeclared ? FORMATS[f.format] : ImageFormat.IMAGE_FORMAT_UNSPECIFIED;
    const req = { ...pa(name), filePath: f.file, format, public: false };
    assert.match(await refusal(h.client.importImage(req, o)), f.refusal, `${f.kind}, imported`);
  }

  async function nothingKeptOrReached(names: string[]): Promise<void> {
    assert.deepEqual(await waitClean(h.backend), [], "temporaries left");
    for (const name of names) await refusal(h.client.getImage(pa(name), o), "NOT_FOUND");
    const tripped = wires.filter((w) => w.tripped()).map((w) => w.target);
    assert.deepEqual(tripped, [], "a file or socket an image names was opened");
  }

  it("refuses qcow2 images naming a backing or data file in any spelling; never opens what they name", async () => {
    const { dir: sub, t } = await targets();
    const images = await referencingImages(sub, t);
    for (const [i, f] of images.entries()) await refusedEveryWay(f, `ref-${i}`);
    await nothingKeptOrReached(images.map((_, i) => `ref-${i}`));
  });

  it("refuses formats other than raw and qcow2 (one a vmdk naming the host file) and made-up headers", async () => {
    const { dir: sub, t } = await targets();
    const images = await foreignImages(sub, t);
    for (const [i, f] of images.entries()) await refusedEveryWay(f, `foreign-${i}`);
    await nothingKeptOrReached(images.map((_, i) => `foreign-${i}`));
  });

  it("refuses a FIFO, a device or a directory as an import source without opening it", async () => {
    const { t } = await targets();
    for (const filePath of [t.hostFile, "/dev/zero", dir]) {
      const req = { ...pa("odd"), filePath, format: ImageFormat.IMAGE_FORMAT_UNSPECIFIED, public: false };
      assert.match(await refusal(h.client.importImage(req, o)), /not a regular file/);
    }
    await nothingKeptOrReached(["odd"]);
  });

  it("refuses sizes over BMI_IMAGE_MAX_VIRTUAL_SIZE: announced upload, qcow2 virtual size, imported file", async () => {
    const over = TEST_MAX_VIRTUAL_SIZE + (1 << 20);
    // The announced size alone is refused: the service reads none of the (here much shorter) data.
    assert.match(await refusal(h.upload(AS.alice, { ...pa("big"), sizeBytes: over }, sparseImage(1, [0]))), /upload size .* over the limit/);
    const qcow2 = path.join(dir, "big.qcow2");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", qcow2, String(over)]);
    const small = await readFile(qcow2);
    assert.ok(small.length < 1 << 20);
    assert.match(await refusal(h.upload(AS.alice, { ...pa("big"), format: FORMATS.qcow2 }, small)), /virtual size .* over the limit/);
    const raw = path.join(dir, "big.raw");
    await writeFile(raw, "");
    await truncate(raw, over);
    for (const filePath of [qcow2, raw]) {
      const req = { ...pa("big"), filePath, format: ImageFormat.IMAGE_FORMAT_UNSPECIFIED, public: false };
      assert.match(await refusal(h.client.importImage(req, o)), /size .* over the limit/);
    }
    await nothingKeptOrReached(["big"]);
  });

  it("accepts qcow2 images at the limit: version 2, and version 3 with zstd and extended L2 entries", async () => {
    const data = sparseImage(TEST_MAX_VIRTUAL_SIZE >> 20, [0, 63]);
    const raw = path.join(dir, "ok.raw");
    await writeFile(raw, data);
    const variants = [["v2", "compat=0.10"], ["v3", "compat=1.1,compression_type=zstd,extended_l2=on,lazy_refcounts=on"]] as const;
    for (const [name, opts] of variants) {
      const file = path.join(dir, `${name}.qcow2`);
      await run("qemu-img", ["convert", "-c", "-f", "raw", "-O", "qcow2", "-o", opts, raw, file]);
      await h.upload(AS.alice, { ...pa(`ok-${name}`), format: FORMATS.qcow2 }, await readFile(file));
      assert.ok((await h.download(AS.alice, "pa", `ok-${name}`)).data.equals(data), `${name}: content differs`);
      await h.client.deleteImage(pa(`ok-${name}`), o);
    }
    assert.deepEqual(await waitClean(h.backend), []);
  });
}

/** The message of the domain error `promise` fails with, which must have `code`. */
async function refusal(promise: Promise<unknown>, code = "INVALID_ARGUMENT"): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, (err as Error).message);
    return (err as Error).message;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}
