import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "@bmi/testing";

const run = promisify(execFile);
const DIR = path.join(REPO_ROOT, "deploy", "systemd");
const SERVICES = ["orchestrator", "image-service", "target-service", "boot-service", "haas-gateway"];
const units = readdirSync(DIR).filter((f) => /\.(service|target)$/.test(f)).sort();
const unit = (name: string) => readFileSync(path.join(DIR, name), "utf8");

/** systemd-analyze from Debian's `systemd` package; machines without it (containers, other systems) skip the check. */
async function analyzer(): Promise<string | undefined> {
  try {
    await run("systemd-analyze", ["--version"]);
    return undefined;
  } catch {
    return "systemd-analyze is not installed (Debian package systemd)";
  }
}

test("every service has a unit, bmi.target starts the five, tgtd has its own unit that target-service leaves alone", () => {
  assert.deepEqual(units, [...SERVICES.map((s) => `bmi-${s}.service`), "bmi-tgtd.service", "bmi.target"].sort());
  for (const s of SERVICES) {
    assert.match(unit(`bmi-${s}.service`), new RegExp(`^ExecStart=/usr/bin/node /opt/bmi/services/${s}/dist/main\\.js$`, "m"));
    assert.match(unit(`bmi-${s}.service`), /^RestartPreventExitStatus=2$/m, `${s}: a bad configuration (exit 2) is not restarted`);
    assert.match(unit("bmi.target"), new RegExp(`bmi-${s}\\.service`));
  }
  const target = unit("bmi-target-service.service");
  assert.match(target, /^Wants=bmi-tgtd\.service$/m);
  assert.match(target, /^KillMode=process$/m, "a restart of target-service must not kill a tgtd it started");
  const tgtd = unit("bmi-tgtd.service");
  assert.doesNotMatch(tgtd, /^PartOf=/m, "restarting bmi.target must not restart tgtd");
  assert.match(tgtd, /^ExecStart=\/usr\/sbin\/tgtd -f -C \$\{BMI_TGTD_CONTROL_PORT\}/m);
});

test("systemd-analyze verify accepts every unit", async (t) => {
  const missing = await analyzer();
  if (missing) return t.skip(missing);
  const r = await run("systemd-analyze", ["verify", "--man=no", ...units.map((u) => path.join(DIR, u))]).catch((err: { stderr?: string; code?: number }) => err);
  assert.equal((r as { stderr?: string }).stderr ?? "", "", "systemd-analyze verify printed problems");
  assert.ok(!("code" in r) || r.code === undefined || r.code === 0);
});
