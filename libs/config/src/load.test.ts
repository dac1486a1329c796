import { it } from "node:test";
import assert from "node:assert/strict";
import { address, bool, int, oneOf, str } from "./fields";
import { ConfigError, loadConfig } from "./load";

const spec = {
  listen: address("BMI_X_LISTEN", { default: "0.0.0.0:1" }),
  driver: oneOf("BMI_X_DRIVER", ["local", "ceph"], { default: "local" }),
  workers: int("BMI_X_WORKERS", { default: 4, min: 1 }),
  verbose: bool("BMI_X_VERBOSE", { default: false }),
  pool: str("BMI_X_POOL"),
};

it("parses defaults and values", () => {
  const c = loadConfig(spec, { BMI_X_POOL: "rbd", BMI_X_WORKERS: "8", BMI_X_LISTEN: ":9" });
  assert.deepEqual({ ...c }, { listen: "0.0.0.0:9", driver: "local", workers: 8, verbose: false, pool: "rbd" });
});

it("lists every problem at once", () => {
  assert.throws(() => loadConfig(spec, { BMI_X_DRIVER: "zfs", BMI_X_WORKERS: "0", BMI_X_VERBOSE: "maybe", BMI_X_LISTEN: "nohost" }),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 5 &&
      err.problems.some((p) => p.includes("BMI_X_DRIVER=zfs must be one of local, ceph")) &&
      err.problems.some((p) => p.includes("BMI_X_POOL is required")));
});
