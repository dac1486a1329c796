import { after } from "node:test";
import { startCeph, type TestCeph } from "@bmi/testing";
import { lifecycleSuite } from "./lifecycle";

// The ceph image driver against a private single-node Ceph: RBD clones exported by tgtd's rbd backing store.
// Ceph is started from the suite's before hook but stopped here, at the top level, so after the suite's stack:
// startCephForTest() called inside a hook would tie the cluster's stop to the hook itself.
let ceph: TestCeph | undefined;
after(() => ceph?.stop());

lifecycleSuite({
  tag: "rbd", macByte: "02",
  imageEnv: async () => {
    ceph = await startCeph();
    return { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: ceph.conf, BMI_IMAGE_CEPH_POOL: ceph.pool, BMI_IMAGE_CEPH_USER: ceph.user };
  },
});
