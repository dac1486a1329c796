import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { createClient } from "@bmi/grpc";
import { connectRedis } from "@bmi/redis";
import { silentLogger } from "@bmi/log";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { ImageFormat, ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import {
  REPO_ROOT,
  buildBootDisk, findTgtd, freeControlPort, freePort, iscsiInquiry, startService, stopTgtd, tempDir, testClientTls, uniquePrefix,
  type RunningService,
} from "@bmi/testing";
import { readHosts } from "./registry";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

// Two target hosts on one store, as processes: each registers itself, serves only the targets placed on it, and
// drops a target moved to the other host. Both tgtds run on this machine, on their own control ports and portals.
describe("target-service on two target hosts: registry, placement, moves", () => {
  const dir = tempDir("bmi-target-hosts-");
  const prefix = uniquePrefix("target-hosts");
  const node = "iqn.2026-01.org.example.test:vm1";
  const hosts: Array<{ id: string; control: number; portal: string; address: string; svc?: RunningService; client?: ReturnType<typeof createClient<TargetServiceClient>> }> = [];
  let images: RunningService;

  before(async () => {
    const imageAddr = `127.0.0.1:${await freePort()}`;
    images = await startService({ service: "image-service", main: serviceMain("image-service"), address: imageAddr, logDir: dir, env: {
      BMI_IMAGE_LISTEN: imageAddr, BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: path.join(dir, "images"),
    } });
    const image = createClient(ImageServiceClient, imageAddr, { deadlineMs: 60_000, tls: testClientTls() });
    const file = await buildBootDisk({ dir, marker: "TARGET-HOSTS" });
    await image.importImage({ project: "proj1", name: "golden", filePath: file, format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
    for (const d of ["d1", "d2"]) await image.createDisk({ project: "proj1", name: d, image: "golden" });
    image.close();
    for (const id of ["h1", "h2"]) {
      const control = freeControlPort();
      const h = { id, control, portal: `127.0.0.1:${await freePort()}`, address: `127.0.0.1:${await freePort()}` };
      hosts.push(h);
      const svc = await startService({ service: "target-service", main: serviceMain("target-service"), address: h.address, logDir: dir, env: {
        BMI_TARGET_LISTEN: h.address, BMI_REDIS_PREFIX: prefix, BMI_TGTD_CONTROL_PORT: String(control), BMI_TARGET_PORTALS: h.portal,
        BMI_TGTD_IO_THREADS: "1", BMI_TARGET_IQN_DOMAIN: "org.example.test", BMI_TARGET_RECONCILE_MS: "500",
        BMI_TARGET_IMAGE_ADDR: imageAddr, BMI_TARGET_HOST_ID: id, BMI_TARGET_HOST_CAPACITY: "50", BMI_TARGET_HEARTBEAT_MS: "300",
      } });
      Object.assign(h, { svc, client: createClient(TargetServiceClient, h.address, { deadlineMs: 10_000, tls: testClientTls() }) });
    }
  });
  after(async () => {
    for (const h of hosts) {
      h.client?.close();
      await h.svc?.stop();
      const pid = findTgtd(h.control);
      if (pid) await stopTgtd(h.control, pid);
    }
    await images?.stop();
    const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const [h1, h2] = [() => hosts[0]!, () => hosts[1]!];
  const create = (h: (typeof hosts)[number], disk: string, placement?: string[]) =>
    h.client!.createTarget({ project: "proj1", disk, backing: undefined, initiatorIqn: node, placement: placement ? { hosts: placement } : undefined });
  const login = (portal: string, t: { target?: { iqn: string } | undefined; chap?: { user: string; secret: string } | undefined } | undefined) =>
    iscsiInquiry({ portal, iqn: t?.target?.iqn ?? "", initiator: node, chap: { user: t?.chap?.user ?? "", secret: t?.chap?.secret ?? "" } });
  const until = async (what: string, ok: () => Promise<boolean>) => {
    const start = Date.now();
    while (!(await ok())) {
      assert.ok(Date.now() - start < 10_000, `${what}: not within 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("each host registers its id, address, portals and capacity, alive and healthy, in Redis", async () => {
    const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    try {
      const reg = await readHosts(redis, prefix);
      assert.deepEqual([...reg.keys()].sort(), ["h1", "h2"]);
      for (const h of hosts) {
        const r = reg.get(h.id)!;
        assert.deepEqual([r.address, r.portals, r.capacity, r.healthy], [h.address, [h.portal], 50, true]);
        const [sec] = await redis.time();
        assert.ok(Number(sec) * 1000 - r.heartbeatMs < r.ttlMs, "heartbeat is recent");
      }
    } finally {
      redis.disconnect();
    }
  });

  it("a target placed on h1 is served by h1 only, with h1's portals; h2 does not serve it", async () => {
    const t = (await create(h1(), "d1")).target;
    assert.deepEqual(t?.placement?.hosts, ["h1"]);
    assert.deepEqual(t?.target?.portals, [h1().portal]);
    assert.equal((await login(h1().portal, t)).ok, true);
    await new Promise((r) => setTimeout(r, 700)); // h2 ran a pass meanwhile
    assert.equal((await login(h2().portal, t)).ok, false, "h2 does not export a target placed on h1");
    // Every host answers for it from the shared store, with the portals of the host that has it.
    assert.deepEqual((await h2().client!.getTarget({ project: "proj1", disk: "d1" })).target?.target?.portals, [h1().portal]);
  });

  it("bad placements are refused and leave nothing: an unknown host, without the called host, twice, two hosts for a file", async () => {
    for (const [placement, what] of [[["h1", "nope"], "not registered"], [["h2"], "do not include"], [["h1", "h1"], "twice"],
      [["h1", "h2"], "file backing"], [["../x"], ""]] as const) {
      await assert.rejects(create(h1(), "d2", [...placement]), (err: { code: string; message: string }) =>
        err.code === "INVALID_ARGUMENT" && err.message.includes(what) || assert.fail(`${JSON.stringify(placement)}: ${err.code} ${err.message}`));
    }
    await assert.rejects(h1().client!.getTarget({ project: "proj1", disk: "d2" }), { code: "NOT_FOUND" });
  });

  it("a target moved to h2 (evacuation) is served by h2 with new secrets and dropped by h1 within a pass", async () => {
    const before = (await h1().client!.getTarget({ project: "proj1", disk: "d1" })).target;
    const moved = (await create(h2(), "d1", ["h2"])).target;
    assert.deepEqual(moved?.placement?.hosts, ["h2"]);
    assert.deepEqual(moved?.target?.portals, [h2().portal]);
    assert.notEqual(moved?.chap?.secret, before?.chap?.secret);
    assert.equal((await login(h2().portal, moved)).ok, true);
    // h1 was kicked through Redis: it removes its copy at once, not at its next interval.
    await until("h1 drops the moved target", async () => !(await login(h1().portal, before)).ok);
    assert.equal((await login(h1().portal, moved)).ok, false);
  });

  it("a delete through any host removes the target from the host that serves it", async () => {
    const t = (await h2().client!.getTarget({ project: "proj1", disk: "d1" })).target;
    await h1().client!.deleteTarget({ project: "proj1", disk: "d1" });
    await until("h2 drops the deleted target", async () => !(await login(h2().portal, t)).ok);
    await assert.rejects(h2().client!.getTarget({ project: "proj1", disk: "d1" }), { code: "NOT_FOUND" });
  });
});
