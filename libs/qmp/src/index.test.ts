import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { QmpClient, QmpError, translateQmpError } from "./index";

/** A real qemu-storage-daemon with its QMP monitor on `socket`, killed with this process at the latest. */
async function startDaemon(socket: string): Promise<ChildProcess> {
  const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", "qemu-storage-daemon",
    "--chardev", `socket,id=qmp0,path=${socket},server=on,wait=off`, "--monitor", "chardev=qmp0"], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(socket).once("connect", () => { s.destroy(); resolve(true); }).once("error", () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  throw new Error("qemu-storage-daemon did not open its QMP socket");
}

describe("QMP client on a real qemu-storage-daemon", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bmi-qmp-"));
  const socket = path.join(dir, "qmp.sock");
  let daemon: ChildProcess;
  let silent: Server;
  before(async () => {
    daemon = await startDaemon(socket);
    silent = createServer(() => undefined); // accepts and never greets: a stuck QEMU
    await new Promise<void>((resolve) => silent.listen(path.join(dir, "silent.sock"), resolve));
  });
  after(() => {
    daemon.kill("SIGKILL");
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs commands, several in flight, and times each through observe", async () => {
    const seen: string[] = [];
    const qmp = await QmpClient.connect(socket, { observe: (op, run) => { seen.push(op); return run(); } });
    try {
      const [exports, commands] = await Promise.all([
        qmp.execute<unknown[]>("query-block-exports"),
        qmp.execute<Array<{ name: string }>>("query-commands"),
      ]);
      assert.deepEqual(exports, []);
      assert.ok(commands.some((c) => c.name === "block-export-add"));
      assert.deepEqual(seen, ["query-block-exports", "query-commands"]);
    } finally {
      qmp.close();
    }
  });

  it("turns QEMU's refusal into a QmpError, and the translator into FAILED_PRECONDITION with QEMU's words", async () => {
    const qmp = await QmpClient.connect(socket);
    try {
      const err = await qmp.execute("block-export-del", { id: "nosuch" }).catch((e: unknown) => e);
      assert.ok(err instanceof QmpError);
      assert.equal(err.command, "block-export-del");
      assert.equal(err.errorClass, "GenericError");
      assert.match(err.desc, /nosuch/);
      assert.deepEqual(
        { code: (translateQmpError(err) as { code?: string }).code, message: (translateQmpError(err) as Error).message },
        { code: "FAILED_PRECONDITION", message: `QEMU: ${err.desc}` },
      );
      // the session goes on after a refusal
      assert.deepEqual(await qmp.execute("query-block-exports"), []);
    } finally {
      qmp.close();
    }
  });

  it("delivers events to waitEvent", async () => {
    const qmp = await QmpClient.connect(socket);
    try {
      const mountpoint = path.join(dir, "events.raw");
      writeFileSync(mountpoint, ""); // a FUSE export mounts over an existing file
      await qmp.execute("blockdev-add", { driver: "null-co", "node-name": "n1" });
      await qmp.execute("block-export-add", { type: "fuse", id: "e1", "node-name": "n1", mountpoint, writable: false });
      const deleted = qmp.waitEvent("BLOCK_EXPORT_DELETED", (d) => d.id === "e1", 5000);
      await qmp.execute("block-export-del", { id: "e1" });
      await deleted;
      await qmp.execute("blockdev-del", { "node-name": "n1" });
      await assert.rejects(qmp.waitEvent("NO_SUCH_EVENT", () => true, 50), { code: "UNAVAILABLE" });
    } finally {
      qmp.close();
    }
  });

  it("turns a daemon out of FUSE sessions (1,020 exports: glibc's thread keys) into RESOURCE_EXHAUSTED", async () => {
    const qmp = await QmpClient.connect(socket);
    const added: string[] = [];
    try {
      let failure: unknown;
      for (let i = 0; i < 1100 && failure === undefined; i++) {
        const mountpoint = path.join(dir, `many-${i}`);
        writeFileSync(mountpoint, "");
        await qmp.execute("blockdev-add", { driver: "null-co", "node-name": `m${i}` });
        failure = await qmp.execute("block-export-add", { type: "fuse", id: `m${i}`, "node-name": `m${i}`, mountpoint, writable: false })
          .then(() => { added.push(`m${i}`); }, (err: unknown) => err);
      }
      assert.ok(failure instanceof QmpError, "1,100 FUSE exports in one daemon");
      assert.match(failure.desc, /Failed to set up FUSE session/);
      assert.ok(added.length > 1000, `failed after ${added.length} exports`);
      const translated = translateQmpError(failure) as { code?: string; message: string };
      assert.equal(translated.code, "RESOURCE_EXHAUSTED");
      assert.match(translated.message, /block-export-add: Failed to set up FUSE session/);
    } finally {
      for (const id of added) {
        await qmp.execute("block-export-del", { id }).catch(() => undefined);
      }
      qmp.close();
    }
  });

  it("answers UNAVAILABLE for a socket that is not there, one that never greets, and a daemon that dies mid-call", async () => {
    await assert.rejects(QmpClient.connect(path.join(dir, "missing.sock")), { code: "UNAVAILABLE", message: /ENOENT/ });
    await assert.rejects(QmpClient.connect(path.join(dir, "silent.sock"), { connectTimeoutMs: 200 }), { code: "UNAVAILABLE", message: /no answer within 200 ms/ });
    const qmp = await QmpClient.connect(socket);
    try {
      const pending = qmp.execute("query-block-exports").then(() => qmp.execute("query-block-exports"));
      daemon.kill("SIGKILL");
      await assert.rejects(pending, { code: "UNAVAILABLE" });
      await assert.rejects(qmp.execute("query-block-exports"), { code: "UNAVAILABLE", message: /ECONNRESET|closed/ });
      assert.equal((translateQmpError(await qmp.execute("x").catch((e: unknown) => e)) as { code?: string }).code, "UNAVAILABLE");
    } finally {
      qmp.close();
    }
  });
});
