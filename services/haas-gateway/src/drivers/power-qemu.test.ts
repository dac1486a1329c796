import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { QemuPower } from "./power-qemu";

describe("qemu power over a real QMP socket", () => {
  let dir: string;
  let socket: string;
  let qemu: ChildProcess | undefined;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "bmi-qmp-"));
    socket = path.join(dir, "vm.qmp");
    // A machine with no board and no devices: cheap, and it speaks QMP like any VM.
    qemu = spawn("qemu-system-x86_64", ["-machine", "none", "-nodefaults", "-display", "none", "-qmp", `unix:${socket},server,nowait`],
      { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  });
  after(() => {
    if (qemu?.pid !== undefined && qemu.exitCode === null) process.kill(qemu.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads, switches off, switches on and cycles the VM", async () => {
    const vm = new QemuPower(socket, 3000);
    assert.equal(await vm.status(), "on");
    await vm.power("off", false);
    assert.equal(await vm.status(), "off");
    await vm.power("on", false);
    assert.equal(await vm.status(), "on");
    await vm.power("cycle", true);
    assert.equal(await vm.status(), "on");
    await vm.setBootDevice("pxe");
  });

  it("serializes concurrent calls on one socket", async () => {
    const vm = new QemuPower(socket, 3000);
    const states = await Promise.all(Array.from({ length: 10 }, () => vm.status()));
    assert.deepEqual(new Set(states), new Set(["on"]));
  });

  it("answers UNAVAILABLE when the VM is not there", async () => {
    await assert.rejects(new QemuPower(path.join(dir, "missing.qmp"), 500).status(), { code: "UNAVAILABLE", message: /ENOENT/ });
  });
});
