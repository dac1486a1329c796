import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encode, toRequest } from "./tgtd-ipc";

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
