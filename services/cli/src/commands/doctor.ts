import { DriftFinding, driftKindToJSON } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { Command } from "../context";
import { EXIT, UsageError } from "../exit-codes";

const kind = (f: DriftFinding) => driftKindToJSON(f.kind).replace(/^DRIFT_KIND_/, "").toLowerCase();

function outcome(f: DriftFinding): string {
  if (f.repaired) return "repaired";
  if (f.repairError) return `repair failed: ${f.repairError}`;
  return f.safe ? "safe to repair" : "needs an operator";
}

/** Drift between BMI's records and its back ends, and the safe repairs (admins). */
export const doctorCommands: Command[] = [
  {
    name: "doctor", example: "bmi doctor\nbmi doctor --repair --json", args: "[--repair]",
    summary: "compare disks, targets, boot scripts, HIL allocations and job records; --repair applies the safe fixes (admins)",
    options: { repair: { type: "boolean", help: "remove what nobody references and re-create missing targets and boot configs of provisioned nodes; never deletes a disk in use" } },
    async run(ctx, p, v) {
      if (p.length > 0) throw new UsageError("bmi doctor takes no arguments");
      const res = await ctx.orch.checkDrift({ repair: v.repair === true }, ctx.call);
      const left = res.findings.filter((f) => !f.repaired).length;
      if (ctx.out.json) {
        ctx.out.data({ findings: res.findings.map((f) => DriftFinding.toJSON(f)), checked: res.checked?.toISOString(),
          provisionedNodes: res.provisionedNodes, disks: res.disks, targets: res.targets, bootConfigs: res.bootConfigs,
          busyNodes: res.busyNodes, skipped: res.skipped });
      } else {
        ctx.out.table(res.findings.map((f) => ({ kind: kind(f), project: f.project, node: f.node, resource: f.resource,
          detail: f.detail, fix: f.fix, status: outcome(f) })), ["kind", "project", "node", "resource", "detail", "fix", "status"]);
        const busy = res.busyNodes.length > 0 ? `; ${res.busyNodes.length} node(s) busy with jobs, not compared` : "";
        process.stderr.write(`checked ${res.provisionedNodes} provisioned node(s), ${res.disks} disk(s), ${res.targets} target(s), ` +
          `${res.bootConfigs} boot config(s)${busy}: ${res.findings.length} difference(s), ${left} left\n`);
        for (const s of res.skipped) process.stderr.write(`not checked: ${s}\n`);
      }
      // Like fsck: what is left to fix is a failure for scripts.
      return left > 0 ? EXIT.FAILED : EXIT.OK;
    },
  },
];
