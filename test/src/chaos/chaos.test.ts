import { test } from "node:test";
import assert from "node:assert/strict";
import { runScenario } from "./scenarios";

// The small version of `npm run chaos`: one bulk of 32 nodes during which every party fails once (the orchestrator,
// image-, target- and boot-service killed, tgtd killed, Redis restarted, NATS down 5 s, HIL answering 500s, slowly
// and 409 BlockedError), audited from the back ends.
test("chaos: one of each fault in one bulk job; every job ends, the back ends hold exactly the provisioned nodes, every event once", async () => {
  const r = await runScenario("mixed", { nodes: 32, parallel: 4, natsDownMs: 5000, log: (line: string) => console.log(line) });
  assert.deepEqual(r.report.problems, []);
  assert.ok(["SUCCEEDED", "PARTIAL"].includes(r.state), r.state);
  assert.equal(r.faults.length, 9);
  for (const n of [r.report.provisioned, r.report.disks, r.report.targets, r.report.scripts, r.report.allocated]) assert.equal(n, r.succeeded);
  assert.ok((r.report.events ?? 0) > r.succeeded, "the job events were counted");
});
