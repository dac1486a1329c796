import { after } from "node:test";
import { startCeph, type TestCeph } from "@bmi/testing";
import { linuxSuite } from "./linux-suite";

// The ceph driver (RBD clones exported by tgtd's rbd backing store). In npm test: one boot to userspace with the
// same checks, and the wrong CHAP secret; the reboot and snapshot story runs there on the local driver only
// (linux-local.test.ts), as both drivers' full stories would add about 5 minutes of TCG boots to npm test.
// BMI_TEST_LINUX_FULL=1 (`npm run test:linux-full`) runs the whole story on Ceph too: a file written, a reboot from
// inside the OS, the snapshot (an RBD snapshot flattened into an image) cloned for a second node, a fresh clone.
let ceph: Promise<TestCeph> | undefined;
after(async () => (await ceph?.catch(() => undefined))?.stop());

linuxSuite({
  tag: "lxc", macByte: "02", full: process.env.BMI_TEST_LINUX_FULL === "1",
  imageEnv: async () => {
    const c = await (ceph ??= startCeph());
    return { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: c.conf, BMI_IMAGE_CEPH_POOL: c.pool, BMI_IMAGE_CEPH_USER: c.user };
  },
});
