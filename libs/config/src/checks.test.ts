import { it } from "node:test";
import assert from "node:assert/strict";
import { needs, parseServiceConfig, problemsOf, requiredWith } from "./checks";
import { serverSpec } from "./common";
import { bool, list, oneOf, str } from "./fields";
import { ConfigError, loadConfig } from "./load";

const spec = {
  ...serverSpec("BMI_X", "127.0.0.1:1"),
  user: str("BMI_X_USER", { default: "" }),
  passwordFile: str("BMI_X_PASSWORD_FILE", { default: "" }),
  seal: bool("BMI_X_SEAL", { default: false }),
  keyFile: str("BMI_X_KEY_FILE", { default: "" }),
  driver: oneOf("BMI_X_DRIVER", ["local", "remote"], { default: "local" }),
  url: str("BMI_X_URL", { default: "" }),
  peers: list("BMI_X_PEERS", { default: [] }),
};
const checks = [
  needs(spec, "user", "passwordFile"), needs(spec, "seal", "keyFile"), requiredWith(spec, "driver", "remote", "url"),
  needs(spec, "url", "peers"),
];
const plain = { BMI_TLS: "off" };

it("cross-field rules name both variables, one line each, after the server's own rules", () => {
  const cfg = loadConfig(spec, { ...plain, BMI_X_LISTEN: "0.0.0.0:1", BMI_X_USER: "bmi", BMI_X_SEAL: "true", BMI_X_DRIVER: "remote" });
  assert.deepEqual(problemsOf(spec, checks)(cfg), [
    "plaintext (BMI_TLS=off) is allowed only on a loopback address, not BMI_X_LISTEN=0.0.0.0:1",
    "BMI_AUTH=none makes every caller an admin: allowed only on a loopback address, not BMI_X_LISTEN=0.0.0.0:1",
    "BMI_X_USER needs BMI_X_PASSWORD_FILE",
    "BMI_X_SEAL=true needs BMI_X_KEY_FILE",
    "BMI_X_URL is required with BMI_X_DRIVER=remote",
  ]);
});

it("settings that agree pass; an empty list counts as unset", () => {
  const env = { ...plain, BMI_X_USER: "bmi", BMI_X_PASSWORD_FILE: "/p", BMI_X_DRIVER: "remote", BMI_X_URL: "http://h", BMI_X_PEERS: "a,b" };
  assert.equal(parseServiceConfig(spec, env, checks).url, "http://h");
  assert.throws(() => parseServiceConfig(spec, { ...env, BMI_X_PEERS: "" }, checks),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 1 && err.problems[0] === "BMI_X_URL needs BMI_X_PEERS");
});
