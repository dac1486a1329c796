import { test } from "node:test";
import assert from "node:assert/strict";
import { runScenario } from "./scenarios";

// The small version of `npm run chaos`: every scenario on 24 nodes (NATS down 5 s), each audited from the back ends.
const SMALL = { nodes: 24, parallel: 8, natsDownMs: 5000, log: (line: string) => console.log(line) };

for (const name of ["orchestrator", "services", "tgtd", "infra", "hil"]) {
  test(`chaos ${name}: every job ends, the back ends hold exactly the provisioned nodes, every event once`, async () => {
    const r = await runScenario(name, SMALL);
    assert.deepEqual(r.report.problems, []);
    assert.ok(["SUCCEEDED", "PARTIAL"].includes(r.state), r.state);
    assert.equal(r.report.provisioned, r.succeeded);
    assert.equal(r.report.disks, r.succeeded);
    assert.equal(r.report.targets, r.succeeded);
    assert.equal(r.report.scripts, r.succeeded);
    assert.equal(r.faults.length > 0, true);
  });
}
