import { after } from "node:test";
import { startCeph, type TestCeph } from "@bmi/testing";
import { linuxSuite } from "./linux-suite";

// The ceph driver (RBD clones exported by tgtd's rbd backing store): one boot to userspace with the same checks,
// and the wrong CHAP secret. The reboot and snapshot story runs on the local driver only (linux-local.test.ts):
// both drivers' full stories would add about 10 minutes of TCG boots to npm test.
let ceph: Promise<TestCeph> | undefined;
after(async () => (await ceph?.catch(() => undefined))?.stop());

linuxSuite({
  tag: "lxc", macByte: "02", full: false,
  imageEnv: async () => {
    const c = await (ceph ??= startCeph());
    return { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: c.conf, BMI_IMAGE_CEPH_POOL: c.pool, BMI_IMAGE_CEPH_USER: c.user };
  },
});
