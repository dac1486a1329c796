import { NodeState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { NotFoundError } from "@bmi/errors";
import { arg, type Command } from "../context";
import { when } from "../output";

/**
 * A provisioned node's iSCSI target as its project sees it. target-service itself is internal (targets carry CHAP
 * secrets), so this is the orchestrator's record: the IQN, the disk it exports and the state, never the secrets.
 */
export const targetCommands: Command[] = [
  {
    name: "target show", args: "NODE", summary: "the iSCSI target of a provisioned node: IQN, disk, image, state",
    example: "bmi target show n1 --json",
    async run(ctx, p) {
      const node = arg(p, 0, "NODE");
      const { provisioned: pr } = await ctx.orch.getNode({ node }, ctx.call);
      if (!pr || !pr.targetIqn) throw new NotFoundError(`node ${node} has no target: it is not provisioned`);
      const state = (NodeState[pr.state] ?? "").replace(/^NODE_STATE_/, "");
      const row = { node: pr.node, project: pr.project, iqn: pr.targetIqn, disk: pr.disk, image: pr.image || "-", state, job: pr.jobId, updated: when(pr.updated) };
      if (ctx.out.json) return ctx.out.data(row);
      for (const [k, v] of Object.entries(row)) ctx.out.line(`${k.padEnd(8)} ${v}`);
    },
  },
];
