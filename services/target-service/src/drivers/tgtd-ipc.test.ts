import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { encode, TgtdChannel, TgtdError, toRequest } from "./tgtd-ipc";

// The bytes tgtadm 1.0.85 itself sends for these requests (read with strace), which tgtd expects.
describe("tgtd control protocol", () => {
  it("encodes a request the way tgtadm does: header, then key=value parameters", () => {
    const req = toRequest(["--mode", "logicalunit", "--op", "new", "--tid", "302", "--lun", "1", "--bstype", "rbd",
      "--backing-store", "rbd/c1", "--bsopts", "conf=/c;id=admin"]);
    assert.deepEqual(req, { mode: 2, op: 0, tid: 302, lun: 1, force: false, outgoing: false, params: ["bstype=rbd", "path=rbd/c1", "bsopts=conf=/c;id=admin"] });
    const buf = encode(req);
    const params = "bstype=rbd,path=rbd/c1,bsopts=conf=/c;id=admin\0";
    assert.equal(buf.length, 120 + params.length);
    assert.equal(buf.readUInt32LE(72), buf.length);
    assert.equal(buf.subarray(8, 13).toString(), "iscsi");
    assert.equal(buf.readInt32LE(76), 302);
    assert.equal(buf.readBigInt64LE(88), 1n);
    assert.equal(buf.subarray(120).toString(), params);
  });

  it("marks a forced delete, defaults tid and LUN to -1, and leaves unknown options to tgtadm", () => {
    const del = encode(toRequest(["--mode", "target", "--op", "delete", "--force", "--tid", "7"])!);
    assert.deepEqual([del.readUInt32LE(0), del.readUInt32LE(4), del.readUInt32LE(72), del.readUInt32LE(116)], [1, 1, 120, 1]);
    const acct = encode(toRequest(["--mode", "account", "--op", "delete", "--user", "u1"])!);
    assert.deepEqual([acct.readUInt32LE(0), acct.readInt32LE(76), acct.readBigInt64LE(88)], [7, -1, -1n]);
    // An outgoing (mutual CHAP) account bind: ac_dir 1 at byte 108, as tgtadm sends it.
    const out = encode(toRequest(["--mode", "account", "--op", "bind", "--tid", "1", "--user", "u1", "--outgoing"])!);
    assert.deepEqual([out.readUInt32LE(0), out.readUInt32LE(4), out.readUInt32LE(108), out.subarray(120).toString()], [7, 3, 1, "user=u1\0"]);
    const addr = encode(toRequest(["--mode", "target", "--op", "unbind", "--tid", "1", "--initiator-address", "10.0.0.5"])!);
    assert.equal(addr.subarray(120).toString(), "initiator-address=10.0.0.5\0");
    // --params goes on as given (tgt-admin's write-cache off: a mode page).
    const wc = encode(toRequest(["--mode", "logicalunit", "--op", "update", "--tid", "1", "--lun", "1", "--params", "mode_page=8:0:18:0x10"])!);
    assert.deepEqual([wc.readUInt32LE(0), wc.readUInt32LE(4), wc.subarray(120).toString()], [2, 5, "mode_page=8:0:18:0x10\0"]);
    // The portal listing the reconciler asks for at every pass (tgtadm: mode 3, op 2, no parameters); a new portal's
    // request has a layout of its own and stays with the tgtadm program.
    const portals = encode(toRequest(["--mode", "portal", "--op", "show"])!);
    assert.deepEqual([portals.readUInt32LE(0), portals.readUInt32LE(4), portals.readInt32LE(76), portals.length], [3, 2, -1, 120]);
    assert.equal(toRequest(["--mode", "portal", "--op", "new", "--param", "portal=127.0.0.1:3260"]), undefined);
    assert.equal(toRequest(["--mode", "target", "--op", "show", "--param", "x=y"]), undefined);
  });
});

/**
 * A tgtd stand-in on a control socket of its own: answers each request with its mode, op and tid (tid 98: no answer,
 * tid 99: tgtd's "can't find the target"); `keeps` says whether it keeps a connection whose requests carry the keep
 * tag (deploy/tgt/tgtd-control.patch) or closes every connection after one answer, as a stock tgtd does.
 */
async function fakeTgtd(keeps: boolean): Promise<{ port: number; connections: () => number; kill: () => void; close: () => Promise<void> }> {
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  const file = `/var/run/tgtd/socket.${port}`;
  mkdirSync("/var/run/tgtd", { recursive: true });
  rmSync(file, { force: true });
  let connections = 0;
  const socks = new Set<Socket>();
  const server = createServer((sock) => {
    connections++;
    socks.add(sock);
    sock.on("close", () => socks.delete(sock));
    let buf = Buffer.alloc(0);
    let ended = false;
    sock.on("data", (chunk) => {
      if (ended) return; // a stock tgtd never reads a second request
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 120 && buf.length >= buf.readUInt32LE(72)) {
        const len = buf.readUInt32LE(72);
        const req = buf.subarray(0, len);
        buf = buf.subarray(len);
        if (req.readInt32LE(76) === 98) continue; // tid 98: no answer (tgtd busy, then gone)
        const text = Buffer.from(`${req.readUInt32LE(0)} ${req.readUInt32LE(4)} ${req.readInt32LE(76)}\0`);
        const head = Buffer.alloc(8);
        head.writeUInt32LE(req.readInt32LE(76) === 99 ? 4 : 0, 0); // tid 99: "can't find the target"
        head.writeUInt32LE(8 + text.length, 4);
        sock.write(Buffer.concat([head, text]));
        const tagged = req.subarray(40, 48).toString("latin1") === "bmi-keep";
        if (!(keeps && tagged)) {
          ended = true;
          sock.end();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return {
    port,
    connections: () => connections,
    kill: () => { for (const s of socks) s.destroy(); },
    close: () => new Promise((resolve) => {
      for (const s of socks) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A test body run with a fake tgtd (fakeTgtd) and a channel to it, both closed after it. */
function withChannel(keeps: boolean, fn: (tgtd: Awaited<ReturnType<typeof fakeTgtd>>, channel: TgtdChannel) => Promise<void>): () => Promise<void> {
  return async () => {
    const tgtd = await fakeTgtd(keeps);
    const channel = new TgtdChannel(tgtd.port, 5000);
    try {
      await fn(tgtd, channel);
    } finally {
      channel.close();
      await tgtd.close();
    }
  };
}

describe("tgtd control channel", () => {
  const show = (tid: number) => toRequest(["--mode", "conn", "--op", "show", "--tid", String(tid)])!;

  it("sends every request on one kept connection, answered in order, when tgtd keeps it", withChannel(true, async (tgtd, channel) => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => channel.request(show(i + 1))));
    assert.deepEqual(answers, Array.from({ length: 20 }, (_, i) => `6 2 ${i + 1}`));
    assert.equal(tgtd.connections(), 1, "the probe's connection carries them all");
    await assert.rejects(channel.request(show(99)), (err: unknown) => err instanceof TgtdError && err.code === 4);
    assert.equal(await channel.request(show(3)), "6 2 3", "a refusal leaves the connection in use");
    assert.equal(tgtd.connections(), 1);
  }));

  it("falls back to a connection per request with a tgtd that closes after each answer (stock tgt)", withChannel(false, async (tgtd, channel) => {
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => channel.request(show(i + 1))));
    assert.deepEqual(answers, ["6 2 1", "6 2 2", "6 2 3", "6 2 4", "6 2 5"]);
    assert.equal(tgtd.connections(), 1 + 5, "the probe's connection, then one per request");
  }));

  it("a kept connection lost rejects what was in flight on it, and the next request probes again", withChannel(true, async (tgtd, channel) => {
    assert.equal(await channel.request(show(1)), "6 2 1");
    const inFlight = channel.request(show(98));
    await new Promise((r) => setTimeout(r, 20));
    tgtd.kill(); // tgtd restarted: its connections are gone
    await assert.rejects(inFlight, /closed the control connection without an answer/);
    assert.equal(await channel.request(show(2)), "6 2 2");
    assert.equal(await channel.request(show(3)), "6 2 3");
    assert.equal(tgtd.connections(), 3, "the first probe's, the lost one's request on its own, the new probe's");
  }));

  it("rejects with the socket's error when nothing listens (tgtd down)", async () => {
    const channel = new TgtdChannel(1, 1000);
    await assert.rejects(channel.request(show(1)), (err: NodeJS.ErrnoException) => err.code === "ENOENT" || err.code === "ECONNREFUSED");
  });
});
