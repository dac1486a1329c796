import { DriftFinding, DriftKind, driftKindToJSON, type CheckDriftResponse } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { flag, type Command } from "../context";
import { EXIT, UsageError } from "../exit-codes";

const kind = (f: DriftFinding) => driftKindToJSON(f.kind).replace(/^DRIFT_KIND_/, "").toLowerCase();

/**
 * A node allocated to a project with no record or job: expected after `bmi dpro` without --release and for nodes
 * allocated in HIL outside BMI, a leak only when a job's undo failed. Listed for the operator to judge, but not a
 * difference left to fix: a stack in normal use would otherwise never check clean (exit 0).
 */
const forInformation = (f: DriftFinding) => f.kind === DriftKind.DRIFT_KIND_ORPHAN_ALLOCATION && !f.safe && !f.repaired;

function outcome(f: DriftFinding): string {
  if (forInformation(f)) return "for information (not counted)";
  if (f.repaired) return "repaired";
  if (f.repairError) return `repair failed: ${f.repairError}`;
  return f.safe ? "safe to repair" : "needs an operator";
}

/** "1 disk", "2 disks". */
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * One finding as an operator reads it: what and where on a line of its own (one line per finding, for grep), then
 * what is wrong and the fix, indented. A table of these is wider than any terminal.
 */
function block(f: DriftFinding): string[] {
  const where = `${f.project ? `${f.project}/` : ""}${f.resource}${f.node && f.node !== f.resource ? ` (node ${f.node})` : ""}`;
  return [`${kind(f)} ${where}: ${outcome(f)}`, `    ${f.detail}`, `    ${f.repaired ? "done" : "fix"}: ${f.fix}`];
}

/** What was compared, what differs and what to do next: the line that ends the human output (stderr). */
function summary(res: CheckDriftResponse, repair: boolean): string {
  const checked = `${count(res.provisionedNodes, "provisioned node")}, ${count(res.disks, "disk")}, ${count(res.targets, "target")}, ` +
    `${count(res.bootConfigs, "boot config")}`;
  const busy = res.busyNodes.length > 0 ? `; ${count(res.busyNodes.length, "node")} busy with jobs, not compared` : "";
  const info = res.findings.filter(forInformation);
  const noted = info.length > 0 ? `; ${count(info.length, "node")} allocated with no record, listed for information` : "";
  const f = res.findings.filter((x) => !forInformation(x));
  if (f.length === 0) return `no drift: ${checked} agree with the records${busy}${noted}`;
  const operator = f.filter((x) => !x.safe).length;
  const parts = repair
    ? [`${f.filter((x) => x.repaired).length} repaired`, ...(f.some((x) => x.repairError) ? [`${f.filter((x) => x.repairError).length} repairs failed`] : [])]
    : [`${f.filter((x) => x.safe).length} safe to repair${f.some((x) => x.safe) ? " (bmi doctor --repair)" : ""}`];
  return `${count(f.length, "difference")} in ${checked}: ${[...parts, `${operator} ${operator === 1 ? "needs" : "need"} an operator`].join(", ")}${busy}${noted}`;
}

/** Drift between BMI's records and its back ends, and the safe repairs (admins). */
export const doctorCommands: Command[] = [
  {
    name: "doctor", example: "bmi doctor\nbmi doctor --repair --json", args: "[--repair]",
    summary: "compare disks, targets, boot scripts, HIL allocations and job records; --repair applies the safe fixes (admins)",
    options: { repair: flag("remove what nobody references and re-create missing targets and boot configs of provisioned nodes; never deletes a disk in use") },
    async run(ctx, p, v) {
      if (p.length > 0) throw new UsageError("bmi doctor takes no arguments");
      const repair = v.repair === true;
      const res = await ctx.orch.checkDrift({ repair }, ctx.call);
      const left = res.findings.filter((f) => !f.repaired && !forInformation(f)).length;
      if (ctx.out.json) {
        ctx.out.data({ findings: res.findings.map((f) => DriftFinding.toJSON(f)), checked: res.checked?.toISOString(),
          provisionedNodes: res.provisionedNodes, disks: res.disks, targets: res.targets, bootConfigs: res.bootConfigs,
          busyNodes: res.busyNodes, skipped: res.skipped });
      } else {
        res.findings.forEach((f, i) => {
          if (i > 0) ctx.out.line("");
          for (const l of block(f)) ctx.out.line(l);
        });
        process.stderr.write(`${summary(res, repair)}\n`);
        for (const s of res.skipped) process.stderr.write(`not checked: ${s}\n`);
      }
      // Like fsck: what is left to fix is a failure for scripts.
      return left > 0 ? EXIT.FAILED : EXIT.OK;
    },
  },
];
