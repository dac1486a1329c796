import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { silentLogger } from "@bmi/log";
import { TftpServer } from "./server";
import { tempDir } from "@bmi/testing";

const run = promisify(execFile);

// curl is the independent client: its TFTP speaks RFC 1350 with the blksize/tsize/timeout options.
describe("in-process TFTP server", () => {
  const dir = tempDir("bmi-tftp-");
  const root = path.join(dir, "root");
  let server: TftpServer;
  let url: string;
  let port: number;
  const curl = async (args: string[], name: string) => {
    const out = path.join(dir, `out-${Math.random()}`);
    const r = await run("curl", ["-sS", "-v", "--max-time", "10", "-o", out, ...args, `${url}/${name}`]).catch((e: { stderr: string; code: number }) => e);
    return { out, stderr: r.stderr, code: "code" in r ? r.code : 0 };
  };

  before(async () => {
    await run("mkdir", ["-p", root]);
    writeFileSync(path.join(root, "undionly.kpxe"), readFileSync("/usr/lib/ipxe/undionly.kpxe"));
    writeFileSync(path.join(root, "exact.bin"), Buffer.alloc(1024, 7)); // a multiple of 512: ends with an empty block
    writeFileSync(path.join(dir, "secret"), "outside the root");
    server = new TftpServer({ root, log: silentLogger(), timeoutMs: 300 });
    port = await server.listen("127.0.0.1:0");
    url = `tftp://127.0.0.1:${port}`;
  });
  after(() => server.close());

  it("serves iPXE's undionly.kpxe byte for byte, with and without options", async () => {
    const want = readFileSync("/usr/lib/ipxe/undionly.kpxe");
    for (const args of [[], ["--tftp-no-options"], ["--tftp-blksize", "1024"]]) {
      const r = await curl(args, "undionly.kpxe");
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readFileSync(r.out), want);
    }
    const exact = await curl([], "exact.bin");
    assert.deepEqual(readFileSync(exact.out), Buffer.alloc(1024, 7));
  });

  it("answers tsize with the file size and caps blksize at one Ethernet frame", async () => {
    const r = await curl(["--tftp-blksize", "8000"], "undionly.kpxe");
    assert.match(r.stderr, new RegExp(`tsize parsed from OACK \\(${readFileSync("/usr/lib/ipxe/undionly.kpxe").length}\\)`));
    assert.match(r.stderr, /blksize parsed from OACK \(1468\)/);
  });

  it("refuses missing files, paths outside the root and writes", async () => {
    assert.notEqual((await curl([], "nope.efi")).code, 0);
    assert.notEqual((await curl([], "../secret")).code, 0);
    assert.notEqual((await curl([], "%2e%2e/secret")).code, 0);
    const up = await run("curl", ["-sS", "--max-time", "10", "-T", path.join(dir, "secret"), `${url}/x`]).then(() => 0, (e: { code: number }) => e.code);
    assert.notEqual(up, 0);
  });

  it("resends a block whose ACK was lost, and ignores a duplicate ACK", async () => {
    const sock = dgram.createSocket("udp4");
    const got: Array<{ block: number; len: number }> = [];
    let peer = 0;
    let ackedOnce = false;
    const done = new Promise<void>((resolve) => sock.on("message", (msg, rinfo) => {
      peer = rinfo.port;
      const block = msg.readUInt16BE(2);
      got.push({ block, len: msg.length - 4 });
      if (block === 1 && !ackedOnce) { ackedOnce = true; return; } // lose the first ACK of block 1
      const ack = Buffer.from([0, 4, 0, 0]);
      ack.writeUInt16BE(block, 2);
      sock.send(ack, peer, "127.0.0.1");
      if (block === 2) sock.send(ack, peer, "127.0.0.1"); // a duplicate ACK must not trigger a resend
      if (msg.length - 4 < 512) resolve();
    }));
    sock.send(Buffer.from("\0\x01exact.bin\0octet\0", "latin1"), port, "127.0.0.1");
    await done;
    sock.close();
    assert.deepEqual(got.map((g) => g.block), [1, 1, 2, 3]);
    assert.deepEqual(got.map((g) => g.len), [512, 512, 512, 0]);
  });
});
