import { startCephForTest } from "@bmi/testing";
import { lifecycleSuite } from "./lifecycle";

// The ceph image driver against a private single-node Ceph (stopped by an after() hook of the suite): RBD clones
// exported by tgtd's rbd backing store.
lifecycleSuite({
  tag: "rbd", macByte: "02",
  imageEnv: async () => {
    const ceph = await startCephForTest();
    return { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: ceph.conf, BMI_IMAGE_CEPH_POOL: ceph.pool, BMI_IMAGE_CEPH_USER: ceph.user };
  },
});
