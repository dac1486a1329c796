import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bmi/testing";
import { detectFormat, qcow2VirtualSize } from "./image-header";
import { DEFAULT_INTAKE_LIMITS, inspectImage } from "./intake";
import type { ImageFormat } from "./storage";
import { run, sparseImage } from "./testkit/harness";
import { foreignImages, referencingImages } from "./testkit/hostile-images";

const targets = { hostFile: "/etc/shadow", nbdSocket: "/run/nbd.sock", httpPort: 80 };

async function* chunksOf(data: Buffer, size = 1 << 20): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
}

function offer(data: Buffer, format: ImageFormat | undefined) {
  return { format, sizeBytes: data.length, chunks: chunksOf(data) };
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** A qcow2 image made by qemu-img with options `opts` (qemu-img create -o). */
async function qcow2(dir: string, name: string, opts: string, size: string): Promise<Buffer> {
  const file = path.join(dir, name);
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-o", opts, file, size]);
  return readFile(file);
}

describe("image header check", () => {
  const dir = tempDir("bmi-header-");

  it("finds the backing or data file of every referencing image, and the format of every foreign one", async () => {
    for (const f of [...await referencingImages(dir, targets), ...await foreignImages(dir, targets)]) {
      const data = await readFile(f.file);
      await assert.rejects(inspectImage(offer(data, f.format), DEFAULT_INTAKE_LIMITS), (err: Error) => {
        assert.equal((err as { code?: string }).code, "INVALID_ARGUMENT");
        assert.match(err.message, f.refusal, f.kind);
        return true;
      });
    }
  });

  it("reads the virtual size of clean qcow2 images (2 MiB clusters, version 2) and passes every byte through", async () => {
    const raw = sparseImage(3, [1]);
    const cases: Array<[string, number, Buffer]> = [
      ["qcow2", 3 * 2 ** 30, await qcow2(dir, "big-clusters.qcow2", "cluster_size=2M", "3G")],
      ["qcow2", 5 << 20, await qcow2(dir, "v2.qcow2", "compat=0.10", "5M")],
      ["raw", raw.length, raw],
    ];
    for (const [format, virtualSize, data] of cases) {
      assert.equal(detectFormat(data), format === "raw" ? undefined : format);
      const inspected = await inspectImage(offer(data, undefined), DEFAULT_INTAKE_LIMITS);
      assert.deepEqual([inspected.format, inspected.virtualSize], [format, virtualSize]);
      assert.ok((await collect(inspected.chunks)).equals(data), "bytes changed on the way through");
    }
  });

  it("refuses what the declared format contradicts", async () => {
    const img = await qcow2(dir, "declared.qcow2", "compat=1.1", "1M");
    await assert.rejects(inspectImage(offer(img, "raw"), DEFAULT_INTAKE_LIMITS), /declared raw but its data is a qcow2 image/);
    await assert.rejects(inspectImage(offer(sparseImage(1, [0]), "qcow2"), DEFAULT_INTAKE_LIMITS), /declared qcow2 but its data is not/);
  });

  it("refuses header extensions that run past the first cluster", async () => {
    const img = await qcow2(dir, "ext.qcow2", "cluster_size=512", "1M");
    const headerLength = img.readUInt32BE(100);
    img.writeUInt32BE(0x12345678, headerLength); // an unknown extension...
    img.writeUInt32BE(4096, headerLength + 4); // ...longer than the 512-byte cluster it starts in
    assert.throws(() => qcow2VirtualSize(img), /runs past the first cluster/);
  });

  it("caps the virtual size: 2 TiB by default", async () => {
    const over = await qcow2(dir, "3t.qcow2", "compat=1.1", "3T");
    assert.equal(qcow2VirtualSize(over), 3 * 2 ** 40);
    await assert.rejects(inspectImage(offer(over, "qcow2"), DEFAULT_INTAKE_LIMITS), /virtual size 3298534883328 bytes is over the limit of 2199023255552/);
    const at = await qcow2(dir, "2t.qcow2", "compat=1.1", "2T");
    assert.equal((await inspectImage(offer(at, "qcow2"), DEFAULT_INTAKE_LIMITS)).virtualSize, 2 * 2 ** 40);
  });
});
