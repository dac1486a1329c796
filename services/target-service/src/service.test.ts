import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createClient } from "@bmi/grpc";
import { connectRedis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { ImageFormat, ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import {
  REPO_ROOT,
  bootVm, buildBootDisk, findTgtd, freeControlPort, freePort, iscsiInquiry, markerPattern, startService, stopTgtd,
  testClientTls, uniquePrefix, type RunningService,
} from "@bmi/testing";
import { tempDir } from "@bmi/testing";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

// The service as a process, through its gRPC contract: what the orchestrator sees.
describe("target-service process: gRPC, tgtd killed, service restarted, a VM boots from its target", () => {
  const dir = tempDir("bmi-target-svc-");
  const controlPort = freeControlPort();
  const prefix = uniquePrefix("target-svc");
  const node = "iqn.2026-01.org.example.test:vm1";
  let env: Record<string, string>;
  let address: string;
  let svc: RunningService;
  let images: RunningService;
  let client: ReturnType<typeof createClient<TargetServiceClient>>;
  let port: number;
  const logs: string[] = [];

  before(async () => {
    port = await freePort();
    address = `127.0.0.1:${await freePort()}`;
    env = {
      BMI_TARGET_LISTEN: address, BMI_REDIS_PREFIX: prefix, BMI_TGTD_CONTROL_PORT: String(controlPort),
      BMI_TARGET_PORTALS: `127.0.0.1:${port}`, BMI_TARGET_ADVERTISE: `10.0.2.2:${port}`, BMI_TGTD_IO_THREADS: "2",
      BMI_TARGET_IQN_DOMAIN: "org.example.test", BMI_TARGET_RECONCILE_MS: "500",
    };
    // The disk is image-service's: target-service exports only what image-service says a project's disk is.
    const imageAddr = `127.0.0.1:${await freePort()}`;
    images = await startService({ service: "image-service", main: serviceMain("image-service"), address: imageAddr, logDir: dir, env: {
      BMI_IMAGE_LISTEN: imageAddr, BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: path.join(dir, "images"),
    } });
    const image = createClient(ImageServiceClient, imageAddr, { deadlineMs: 60_000, tls: testClientTls() });
    const file = await buildBootDisk({ dir, marker: "TARGET-SVC-VM" });
    await image.importImage({ project: "proj1", name: "golden", filePath: file, format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
    await image.createDisk({ project: "proj1", name: "vm1", image: "golden" });
    image.close();
    env.BMI_TARGET_IMAGE_ADDR = imageAddr;
    svc = await startService({ service: "target-service", main: serviceMain("target-service"), address, env, logDir: dir });
    logs.push(svc.logFile);
    client = createClient(TargetServiceClient, address, { deadlineMs: 10_000, tls: testClientTls() });
  });
  after(async () => {
    client?.close();
    await svc?.stop();
    await images?.stop();
    const pid = findTgtd(controlPort);
    if (pid) await stopTgtd(controlPort, pid);
    const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const create = () => client.createTarget({ project: "proj1", disk: "vm1", backing: undefined, initiatorIqn: node, placement: undefined });

  it("creates, gets and lists targets; only create and get reveal the secret", async () => {
    const res = await create();
    assert.equal(res.created, true);
    const t = res.target;
    assert.equal(t?.target?.iqn, "iqn.2026-01.org.example.test:proj1.vm1");
    assert.deepEqual(t?.target?.portals, [`10.0.2.2:${port}`]);
    assert.equal(t?.target?.lun, 1);
    assert.equal(t?.active, true);
    assert.equal((await client.getTarget({ project: "proj1", disk: "vm1" })).target?.chap?.secret, t?.chap?.secret);
    const listed = (await client.listTargets({ project: "" })).targets;
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.chap?.secret, "");
    await assert.rejects(client.getTarget({ project: "proj1", disk: "nope" }), { code: "NOT_FOUND" });
    await assert.rejects(client.createTarget({ project: "proj1", disk: "x", backing: undefined, initiatorIqn: node, placement: undefined }), { code: "NOT_FOUND" });
  });

  it("after tgtd is killed the target comes back and a VM still boots from it with CHAP", async () => {
    const t = (await create()).target;
    const pid = findTgtd(controlPort);
    assert.ok(pid);
    process.kill(pid, "SIGKILL");
    const killed = Date.now();
    while (!(await client.getTarget({ project: "proj1", disk: "vm1" })).target?.active || findTgtd(controlPort) === undefined) {
      assert.ok(Date.now() - killed < 10_000, "target not back within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(`# tgtd killed: target back in ${Date.now() - killed} ms (reconcile interval 500 ms)`);
    const [host, p] = (t?.target?.portals[0] ?? "").split(":");
    const script = path.join(dir, "vm1.ipxe");
    writeFileSync(script, ["#!ipxe", "dhcp", `set initiator-iqn ${node}`, `set username ${t?.chap?.user}`,
      `set password ${t?.chap?.secret}`, `sanboot --keep iscsi:${host}::${p}:1:${t?.target?.iqn}`, ""].join("\n"));
    const vm = await bootVm({
      dir, name: "vm1", mac: "52:54:00:42:00:01", net: { kind: "user" }, kernel: "/usr/lib/ipxe/ipxe.lkrn", initrd: script,
      until: markerPattern("TARGET-SVC-VM"), deadlineMs: 60_000,
    });
    assert.match(vm.serial, /iBFT: present/);
    console.log(`# VM booted from the re-applied target in ${vm.ms} ms`);
  });

  it("a restarted service keeps the target and its secret; tgtd outlives the service; no log holds the secret", async () => {
    const before = (await client.getTarget({ project: "proj1", disk: "vm1" })).target;
    client.close();
    await svc.stop();
    const chap = { user: before?.chap?.user ?? "", secret: before?.chap?.secret ?? "" };
    const login = { portal: `127.0.0.1:${port}`, iqn: before?.target?.iqn ?? "", initiator: node, chap };
    assert.equal((await iscsiInquiry(login)).ok, true, "target still served while the service is down");
    svc = await startService({ service: "target-service", main: serviceMain("target-service"), address, env, logDir: dir });
    logs.push(svc.logFile);
    client = createClient(TargetServiceClient, address, { deadlineMs: 10_000, tls: testClientTls() });
    const again = (await client.getTarget({ project: "proj1", disk: "vm1" })).target;
    assert.equal(again?.chap?.secret, before?.chap?.secret);
    assert.equal(again?.active, true);
    assert.deepEqual(await client.deleteTarget({ project: "proj1", disk: "vm1" }), { forced: false, sessionsClosed: 0 });
    assert.equal((await iscsiInquiry(login)).ok, false);
    for (const log of logs) assert.ok(!readFileSync(log, "utf8").includes(chap.secret), `CHAP secret in ${log}`);
  });
});
