import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { IpmiPower } from "./power-ipmi";

// No BMC and no ipmitool here: a stand-in ipmitool records its argv and environment and answers like the real one.
const FAKE = `#!/bin/sh
printf '%s\\n' "$*" >> "$(dirname "$0")/calls"
printf '%s\\n' "$IPMI_PASSWORD" >> "$(dirname "$0")/passwords"
case "$*" in
  *unreachable*) echo "Error: Unable to establish IPMI v2 / RMCP+ session" >&2; exit 1 ;;
  *"power status"*) echo "Chassis Power is on" ;;
esac
`;

describe("ipmi power through ipmitool", () => {
  let dir: string;
  let tool: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "bmi-ipmi-"));
    tool = path.join(dir, "ipmitool");
    writeFileSync(tool, FAKE);
    chmodSync(tool, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs ipmitool with an argument array and the password in the environment", async () => {
    const bmc = new IpmiPower({ host: "10.0.0.5", user: "admin", password: "s3cret; rm -rf /" }, tool);
    assert.equal(await bmc.status(), "on");
    await bmc.power("cycle", true);
    await bmc.power("off", false);
    await bmc.setBootDevice("pxe");
    const calls = readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
    assert.deepEqual(calls, [
      "-I lanplus -H 10.0.0.5 -U admin -E chassis power status",
      "-I lanplus -H 10.0.0.5 -U admin -E chassis power reset",
      "-I lanplus -H 10.0.0.5 -U admin -E chassis power off",
      "-I lanplus -H 10.0.0.5 -U admin -E chassis bootdev pxe options=persistent",
    ]);
    assert.ok(!calls.join("").includes("s3cret"));
    assert.equal(readFileSync(path.join(dir, "passwords"), "utf8").split("\n")[0], "s3cret; rm -rf /");
  });

  it("maps failures", async () => {
    await assert.rejects(new IpmiPower({ host: "unreachable", user: "u", password: "p" }, tool).status(),
      { code: "UNAVAILABLE", message: /Unable to establish/ });
    await assert.rejects(new IpmiPower({ host: "h", user: "u", password: "p" }, path.join(dir, "nope")).status(),
      { code: "FAILED_PRECONDITION", message: /not installed/ });
  });
});
