import { parseArgs } from "node:util";
import { JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startStack } from "../support/stack";
import { IQN_PREFIX, PROJECT, upload, watchToEnd } from "./bulk";
import { runFloor } from "./bulk-floor";
import { percentile } from "./stats";

/**
 * `npm run bench -- single [--nodes 30]`: one provision at a time (no boot wait), end to end as `bmi pro` makes it:
 * ProvisionNode, WatchJob from the start to the job's finished event, GetJob. Each node is deprovisioned before the
 * next one (not timed). Then the floor: the same service calls for one node in a plain loop, one node at a time.
 */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { nodes: { type: "string", default: "30" } } });
  const n = Number(values.nodes);
  const s = await startStack({ tag: "bench-single" });
  try {
    const nodes = Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(4, "0")}`);
    await s.registerNodes(nodes);
    await upload(s, "golden", 4);
    const ms: number[] = [];
    for (const node of nodes) {
      const t0 = performance.now();
      const { job } = await s.orch.provisionNode({ project: PROJECT, spec: { node, image: "golden", disk: "", nic: "", network: "" },
        options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" });
      await watchToEnd(s, job!.id);
      const done = (await s.orch.getJob({ id: job!.id })).job!;
      ms.push(performance.now() - t0);
      if (done.state !== JobState.JOB_STATE_SUCCEEDED) throw new Error(`provision of ${node} ended ${JobState[done.state]}: ${done.error}`);
      const { job: d } = await s.orch.deprovisionNode({ project: PROJECT, node, deleteDisk: true, releaseNode: true, idempotencyKey: "" });
      await watchToEnd(s, d!.id);
    }
    const floor = await runFloor(s, PROJECT, nodes, "golden", 1, IQN_PREFIX);
    const line = (v: number[]) => `p50 ${percentile(v, 50).toFixed(1)} ms, p95 ${percentile(v, 95).toFixed(1)} ms, min ${Math.min(...v).toFixed(1)} ms`;
    console.log(`single provisions: ${n} nodes one at a time, local driver, no boot wait`);
    console.log(`  orchestrated  ProvisionNode + WatchJob to its end + GetJob: ${line(ms)}`);
    console.log(`  floor         the same service calls in a plain loop:        ${line(floor.perNode)}`);
    console.log(`  orchestrated / floor at p50: ${(percentile(ms, 50) / percentile(floor.perNode, 50)).toFixed(2)}x`);
  } finally {
    await s.stop();
  }
}
