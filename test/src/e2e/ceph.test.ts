import { after, before, describe, test } from "node:test";
import { startCeph, type TestCeph } from "@bmi/testing";
import { tellDemoStory } from "./demo-story";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { lifecycleSuite } from "./lifecycle";

// The ceph image driver against one private single-node Ceph for the whole file (starting one is the expensive
// part): RBD clones exported by tgtd's rbd backing store, image-service and tgt both as the restricted user "bmi".
// The cluster is started from the first suite's before hook but stopped here, at the top level, after every suite:
// a cluster started inside a hook would be tied to that hook.
let ceph: Promise<TestCeph> | undefined;
after(async () => (await ceph?.catch(() => undefined))?.stop());

async function imageEnv(): Promise<Record<string, string>> {
  const c = await (ceph ??= startCeph());
  return { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: c.conf, BMI_IMAGE_CEPH_POOL: c.pool, BMI_IMAGE_CEPH_USER: c.user };
}

lifecycleSuite({ tag: "rbd", macByte: "02", imageEnv });

// `npm run demo -- --ceph`: the demo's whole story with every image and disk in Ceph.
describe("the demo on Ceph", { timeout: 300_000 }, () => {
  let s: E2eStack;
  before(async () => { s = await startE2eStack({ tag: "demo-rbd", imageEnv: await imageEnv() }); });
  after(() => s?.stop());

  test("the demo program tells its whole story on Ceph and exits 0", { timeout: 240_000 }, async () => {
    const summary = await tellDemoStory(s, { prefix: "rdemo", backend: "ceph" });
    console.log(summary.replace(/^/gm, "# "));
  });
});
