import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "@bmi/testing";
import { run as exec, sparseImage } from "../testkit/harness";
import { referencingImages } from "../testkit/hostile-images";
import { fifoTripwire, socketTripwire, type Tripwire } from "../testkit/tripwires";
import { CommandError, run } from "./exec";
import { QemuImg } from "./qemu-img";

/** The code of the domain error `promise` fails with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => "OK", (err: unknown) => String((err as { code?: unknown }).code));
}

describe("qemu-img on callers' images", () => {
  const dir = tempDir("bmi-qemu-img-");
  const wires: Tripwire[] = [];
  let clean: string;
  const data = sparseImage(8, [0, 7]);

  before(async () => {
    await writeFile(path.join(dir, "clean.raw"), data);
    clean = path.join(dir, "clean.qcow2");
    await exec("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", path.join(dir, "clean.raw"), clean]);
  });
  after(async () => {
    for (const w of wires) await w.close();
  });

  it("converts a clean qcow2 image to raw", async () => {
    const out = path.join(dir, "clean.out.raw");
    await new QemuImg().qcow2ToRaw(clean, out, data.length);
    assert.ok((await readFile(out)).equals(data));
  });

  it("refuses on qemu-img info alone (were the header check bypassed) and never opens what the image names", async () => {
    const hostFile = await fifoTripwire(dir);
    const nbd = await socketTripwire(path.join(dir, "nbd.sock"));
    const http = await socketTripwire();
    wires.push(hostFile, nbd, http);
    const images = await referencingImages(dir, { hostFile: hostFile.target, nbdSocket: nbd.target, httpPort: http.port });
    for (const f of images) {
      const out = `${f.file}.raw`;
      await assert.rejects(new QemuImg().qcow2ToRaw(f.file, out, 8 << 20), (err: Error) => {
        assert.equal((err as { code?: string }).code, "INVALID_ARGUMENT", f.kind);
        assert.match(err.message, f.refusal, f.kind);
        return true;
      });
      assert.ok(!existsSync(out), `${f.kind}: converted`);
    }
    assert.deepEqual(wires.filter((w) => w.tripped()).map((w) => w.target), []);
  });

  it("refuses a virtual size larger than the header check allowed, and an image qemu cannot read", async () => {
    await assert.rejects(new QemuImg().qcow2ToRaw(clean, path.join(dir, "x.raw"), 4 << 20), /virtual size 8388608/);
    const broken = Buffer.from(await readFile(clean));
    broken.writeBigUInt64BE(12345n, 40); // the L1 table, not at a cluster boundary
    await writeFile(path.join(dir, "broken.qcow2"), broken);
    assert.equal(await codeOf(new QemuImg().qcow2ToRaw(path.join(dir, "broken.qcow2"), path.join(dir, "y.raw"), data.length)), "INVALID_ARGUMENT");
  });

  it("runs under an address-space limit: too little memory is RESOURCE_EXHAUSTED, not a crash of the service", async () => {
    const tight = new QemuImg({ memoryBytes: 32 << 20, seconds: 30 });
    assert.equal(await codeOf(tight.qcow2ToRaw(clean, path.join(dir, "z.raw"), data.length)), "RESOURCE_EXHAUSTED");
  });

  it("kills a command at its timeout", async () => {
    const t0 = Date.now();
    await assert.rejects(run("sleep", ["30"], { timeoutMs: 300 }), (err: unknown) => err instanceof CommandError && err.code === null);
    assert.ok(Date.now() - t0 < 5000, "the command outlived its timeout");
  });
});
