// image-service's storage for `npm run stack:up`: the local driver unless `--ceph` or BMI_IMAGE_DRIVER=ceph asks for
// Ceph. Then it is the cluster BMI_IMAGE_CEPH_CONF names (nothing is started), or, with no conf set, a single-node
// Ceph that the stack starts under .run/stack/ceph with deploy/ceph-up.sh (the script the tests use) and stack:down
// stops and wipes. image-service runs there as "bmi", the restricted user a site gives BMI (README, "Ceph at a
// site"); target-service needs nothing: each disk names its conf and user, and tgt finds the keyring through the conf.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

/** @param {{ root: string, run: string }} where the checkout and the stack's run directory */
function stackCeph({ root, run }) {
  const dir = path.join(run, "ceph");
  const conf = path.join(dir, "ceph.conf");
  const marker = path.join(run, "started-ceph");
  const record = path.join(run, "image-storage");
  const alive = (file) => {
    try { process.kill(Number(fs.readFileSync(file, "utf8").trim()), 0); return true; } catch { return false; }
  };
  const embeddedUp = () => ["mon.a", "osd.0"].every((d) => alive(path.join(dir, "run", `${d}.pid.fg`)));

  return {
    /** The image-service environment for `wanted` storage, starting the single-node Ceph when it is needed. */
    prepare(wanted) {
      if (wanted !== "ceph") return { BMI_IMAGE_DRIVER: "local" };
      if (process.env.BMI_IMAGE_CEPH_CONF) {
        console.log(`ceph: the cluster of ${process.env.BMI_IMAGE_CEPH_CONF} (BMI_IMAGE_CEPH_CONF); starting none`);
        return { BMI_IMAGE_DRIVER: "ceph" };
      }
      if (!embeddedUp()) {
        console.log(`ceph: starting a single-node cluster under ${path.relative(root, dir)} (deploy/ceph-up.sh)`);
        spawnSync("bash", [path.join(root, "deploy", "ceph-down.sh"), dir], { env: { ...process.env, WIPE: "1" } });
        const r = spawnSync("bash", [path.join(root, "deploy", "ceph-up.sh"), dir], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
        if (r.status !== 0) throw new Error(`deploy/ceph-up.sh failed (${r.status}); its logs are in ${path.join(dir, "log")}`);
        fs.writeFileSync(marker, "");
      }
      return { BMI_IMAGE_DRIVER: "ceph", BMI_IMAGE_CEPH_CONF: conf, BMI_IMAGE_CEPH_POOL: "rbd", BMI_IMAGE_CEPH_USER: "bmi", BMI_IMAGE_CEPH_KEYRING: "" };
    },

    /** Remembers what the image-service just started was given, for status and for the next up. */
    started(env) {
      const e = { ...process.env, ...env };
      const what = e.BMI_IMAGE_DRIVER === "ceph"
        ? `ceph: pool ${e.BMI_IMAGE_CEPH_POOL || "rbd"} as client.${e.BMI_IMAGE_CEPH_USER || "admin"}, cluster of ${e.BMI_IMAGE_CEPH_CONF || "/etc/ceph/ceph.conf"}`
        : "local";
      fs.writeFileSync(record, what);
    },

    /** What the running image-service stores images in, as started ("" when unknown). */
    running() {
      try { return fs.readFileSync(record, "utf8"); } catch { return ""; }
    },

    /** Stops and wipes the single-node Ceph if the stack started it; a configured cluster is never touched. */
    stop() {
      fs.rmSync(record, { force: true });
      if (!fs.existsSync(marker)) return;
      spawnSync("bash", [path.join(root, "deploy", "ceph-down.sh"), dir], { env: { ...process.env, WIPE: "1" }, stdio: "inherit" });
      fs.rmSync(marker, { force: true });
      console.log(`stopped ceph (single-node, ${path.relative(root, dir)})`);
    },
  };
}

module.exports = { stackCeph };
