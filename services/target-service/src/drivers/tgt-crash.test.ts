import assert from "node:assert/strict";
import { once } from "node:events";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { ImageFormat, ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { connectRedis } from "@bmi/redis";
import {
  REPO_ROOT,
  buildBootDisk, findTgtd, freeControlPort, freePort, iscsiInquiry, startService, stopTgtd, tempDir, testClientTls,
  uniquePrefix, type RunningService,
} from "@bmi/testing";
import { parseAccounts, parseTargets } from "./tgt-show";
import { Tgtadm } from "./tgtadm";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

const HOOK = path.join(__dirname, "..", "testkit", "cut-hook.js");
const NODE = "iqn.2026-01.org.example.test:cut";

// Where a CreateTarget can be cut short, in the order tgt.ts gets there.
const CUTS: Array<[string, string]> = [
  ["before-tgtadm:target/new", "the target stored, nothing in tgtd"],
  ["after-tgtadm:target/new", "a target without LUN, ACL or account"],
  ["after-tgtadm:logicalunit/new", "a target with its LUN, open to nobody"],
  ["after-tgtadm:target/bind", "a target with its ACL, without its account"],
  ["after-tgtadm:account/new", "the account made, not bound"],
  ["after-tgtadm:account/bind", "the target complete, the answer lost"],
];

/**
 * target-service killed (SIGKILL) at each tgtadm step of a CreateTarget, started again and asked again, as the
 * orchestrator's retry does. Audited from tgtd itself: the retry succeeds, tgtd holds the target once with its
 * LUN, its one ACL entry and its one account, a CHAP login with the secret the retry answered works, and no account
 * of the first attempt is left.
 */
describe("target-service: CreateTarget cut short and retried, on a real tgtd", () => {
  const dir = tempDir("bmi-target-cut-");
  const controlPort = freeControlPort();
  const prefix = uniquePrefix("target-cut");
  const adm = new Tgtadm(controlPort);
  let env: Record<string, string>;
  let address = "";
  let port = 0;
  let images: RunningService | undefined;
  let image: PromiseClient<ImageServiceClient> | undefined;
  let svc: RunningService | undefined;
  let client: PromiseClient<TargetServiceClient> | undefined;

  const start = async (cut?: string) => {
    client?.close();
    svc = await startService({
      service: "target-service", main: serviceMain("target-service"), address, logDir: dir,
      env: { ...env, ...(cut ? { NODE_OPTIONS: `--require ${HOOK}`, BMI_TEST_CUT: cut } : {}) },
    });
    client = createClient(TargetServiceClient, address, { deadlineMs: 20_000, tls: testClientTls() });
    return client;
  };

  before(async () => {
    port = await freePort();
    address = `127.0.0.1:${await freePort()}`;
    const imageAddr = `127.0.0.1:${await freePort()}`;
    images = await startService({ service: "image-service", main: serviceMain("image-service"), address: imageAddr, logDir: dir, env: {
      BMI_IMAGE_LISTEN: imageAddr, BMI_IMAGE_DRIVER: "local", BMI_IMAGE_DATA_DIR: path.join(dir, "images"),
    } });
    image = createClient(ImageServiceClient, imageAddr, { deadlineMs: 60_000, tls: testClientTls() });
    const file = await buildBootDisk({ dir, marker: "TARGET-CUT" });
    await image.importImage({ project: "proj1", name: "golden", filePath: file, format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
    env = {
      BMI_TARGET_LISTEN: address, BMI_REDIS_PREFIX: prefix, BMI_TGTD_CONTROL_PORT: String(controlPort),
      BMI_TARGET_PORTALS: `127.0.0.1:${port}`, BMI_TGTD_IO_THREADS: "2", BMI_TARGET_IQN_DOMAIN: "org.example.test",
      BMI_TARGET_IMAGE_ADDR: imageAddr,
    };
  });

  after(async () => {
    for (const c of [client, image]) c?.close();
    for (const s of [svc, images]) await s?.stop();
    const tgtd = findTgtd(controlPort);
    if (tgtd !== undefined) await stopTgtd(controlPort, tgtd);
    const redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    try {
      for (const key of await redis.keys(`${prefix}*`)) await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  for (const [cut, left] of CUTS) {
    it(`cut with ${left}`, async () => {
      const disk = `d-${cut.replace(/\W+/g, "-")}`;
      await image!.createDisk({ project: "proj1", name: disk, image: "golden" });
      const req = { project: "proj1", disk, backing: undefined, initiatorIqn: NODE, placement: undefined };

      const cutShort = await start(cut);
      const exited = once(svc!.process, "exit");
      await assert.rejects(cutShort.createTarget(req), { code: "UNAVAILABLE" });
      const [, signal] = await exited as [number | null, string | null];
      assert.equal(signal, "SIGKILL", "the service did not die at the cut");

      const c = await start();
      const res = await c.createTarget(req);
      const iqn = res.target?.target?.iqn ?? "";
      const chap = { user: res.target?.chap?.user ?? "", secret: res.target?.chap?.secret ?? "" };
      assert.equal(res.target?.active, true, "the retried target is complete");
      const ours = parseTargets(await adm.run(["--mode", "target", "--op", "show"])).filter((t) => t.iqn === iqn);
      assert.equal(ours.length, 1);
      assert.equal(ours[0]?.lun1?.path, (await image!.getDisk({ project: "proj1", name: disk })).disk?.backing?.file?.path);
      assert.deepEqual(ours[0]?.initiators, [NODE]);
      assert.deepEqual(ours[0]?.accounts, [chap.user]);
      assert.deepEqual(parseAccounts(await adm.run(["--mode", "account", "--op", "show"])), [chap.user]);
      const login = { portal: `127.0.0.1:${port}`, iqn, initiator: NODE, chap };
      assert.equal((await iscsiInquiry(login)).ok, true, "CHAP login with the retried target's secret");

      await c.deleteTarget({ project: "proj1", disk });
      assert.deepEqual(parseTargets(await adm.run(["--mode", "target", "--op", "show"])).filter((t) => t.iqn === iqn), []);
      assert.deepEqual(parseAccounts(await adm.run(["--mode", "account", "--op", "show"])), []);
      await svc?.stop();
      await image!.deleteDisk({ project: "proj1", name: disk });
    });
  }
});
