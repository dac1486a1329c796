import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { BMI_QSD, DEBIAN_QSD, daemonBinary } from "./storage-daemon";

function installed(binary: string): boolean {
  try {
    accessSync(binary, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `binary` with its QMP monitor on `socket`, killed with this process at the latest; answers once the socket exists.
 * No connection is made to probe it. Once in CI the test's connection was closed 46 ms into the test, before the
 * greeting ("connection closed after 0 replies"); 200 runs of the same commands by hand never failed. The likely
 * cause is the probe, closed just as the test connected: QEMU's socket chardev serves one client at a time.
 */
async function startDaemon(binary: string, socket: string): Promise<ChildProcess> {
  const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", binary,
    "--chardev", `socket,id=qmp0,path=${socket},server=on,wait=off`, "--monitor", "chardev=qmp0"], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    if (existsSync(socket)) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  throw new Error(`${binary} did not open its QMP socket`);
}

/** A connection to `socket`, tried again while the daemon is not listening yet. */
async function connectQmp(socket: string): Promise<net.Socket> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(socket).once("connect", () => resolve(s)).once("error", reject);
      });
    } catch (err) {
      if (i >= 200) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

type Reply = { id?: unknown; return?: unknown; error?: { class: string; desc: string }; event?: string };

/** Writes `lines` to a new QMP connection in ONE write after the greeting, and answers the first `count` replies. */
async function pipelined(socket: string, lines: string[], count: number): Promise<Reply[]> {
  const conn = await connectQmp(socket);
  try {
    const replies: Reply[] = [];
    let buf = "";
    let greeted = false;
    await new Promise<void>((resolve, reject) => {
      conn.once("error", reject);
      conn.once("close", () => reject(new Error(`connection closed after ${replies.length} replies`)));
      conn.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const msg = JSON.parse(buf.slice(0, nl)) as Reply & { QMP?: unknown };
          buf = buf.slice(nl + 1);
          if (!greeted) {
            greeted = true;
            conn.write(lines.map((l) => `${l}\n`).join(""));
          } else if (msg.event === undefined) {
            replies.push(msg);
          }
          if (replies.length === count) resolve();
        }
      });
    });
    return replies;
  } finally {
    conn.destroy();
  }
}

// BMI's build reads QMP many bytes per system call (deploy/qemu/qmp-read-buffer.patch), where Debian's reads one:
// the order of the commands, of their answers, and the answer of a bad one in the middle must be what Debian's
// daemon gives. The same test on both, so a difference is the patch's.
for (const binary of [DEBIAN_QSD, BMI_QSD]) {
  describe(`qemu-storage-daemon (${binary}): commands sent in one write`, { skip: binary === BMI_QSD && !installed(BMI_QSD) && "BMI's build is not installed (deploy/qemu/build.sh)" }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bmi-qsd-pipe-"));
    const daemons: ChildProcess[] = [];
    after(() => {
      for (const d of daemons) d.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });

    const N = 50;
    // Node n<i> added by command i, but command 20 adds n3 again (refused: it exists, so command 3 ran first) and
    // command 30 deletes n29 (works only after command 29, and n30 is never added), a line that is not JSON comes after command 40 (answered
    // with an error and no id, in its place), and the last command lists the nodes.
    const script = (): { lines: string[]; expect: (r: Reply[]) => void } => {
      const lines = [JSON.stringify({ execute: "qmp_capabilities", id: "caps" })];
      for (let i = 0; i < N; i++) {
        let cmd: object = { execute: "blockdev-add", arguments: { driver: "null-co", "node-name": `n${i}` }, id: i };
        if (i === 20) cmd = { execute: "blockdev-add", arguments: { driver: "null-co", "node-name": "n3" }, id: i };
        if (i === 30) cmd = { execute: "blockdev-del", arguments: { "node-name": "n29" }, id: i };
        lines.push(JSON.stringify(cmd));
        if (i === 40) lines.push(`{"execute": }`);
      }
      lines.push(JSON.stringify({ execute: "query-named-block-nodes", arguments: { flat: true }, id: "list" }));
      return {
        lines,
        expect: (replies) => {
          assert.equal(replies.length, N + 3);
          const ids = replies.map((r) => r.id);
          const want = ["caps", ...Array.from({ length: 41 }, (_, i) => i), undefined,
            ...Array.from({ length: N - 41 }, (_, i) => i + 41), "list"];
          assert.deepEqual(ids, want);
          for (const r of replies) {
            if (r.id === 20) assert.match(r.error?.desc ?? "", /Duplicate nodes? with node-name/i);
            else if (r.id === undefined) assert.match(r.error?.desc ?? "", /JSON parse error/);
            else assert.equal(r.error, undefined, JSON.stringify(r));
          }
          const names = (replies.at(-1)!.return as Array<{ "node-name": string }>).map((n) => n["node-name"]).sort();
          const wantNames = Array.from({ length: N }, (_, i) => `n${i}`).filter((n) => !["n20", "n29", "n30"].includes(n)).sort();
          assert.deepEqual(names, wantNames);
        },
      };
    };

    it("answers 50 commands in order, a refused one and a line that is not JSON in their places", async () => {
      const socket = path.join(dir, "a.sock");
      daemons.push(await startDaemon(binary, socket));
      const { lines, expect } = script();
      expect(await pipelined(socket, lines, lines.length));
    });

    it("the same with out-of-band commands enabled (a request queue of 8 that fills up)", async () => {
      const socket = path.join(dir, "b.sock");
      daemons.push(await startDaemon(binary, socket));
      const { lines, expect } = script();
      lines[0] = JSON.stringify({ execute: "qmp_capabilities", arguments: { enable: ["oob"] }, id: "caps" });
      expect(await pipelined(socket, lines, lines.length));
    });
  });
}

describe("qemu-storage-daemon binary", () => {
  it("is BMI's build when installed, Debian's otherwise", () => {
    assert.equal(daemonBinary(), installed(BMI_QSD) ? BMI_QSD : DEBIAN_QSD);
  });
});
