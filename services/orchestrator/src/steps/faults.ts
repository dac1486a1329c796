import { FailedPreconditionError, InvalidArgumentError } from "@bmi/errors";
import type { StepContext, StepExecutor, StepResult } from "../engine/step-executor";

interface Fault { step: string; node: string; before: boolean }

/**
 * Fault injection for tests and drills (BMI_ORCH_FAULTS): "step@node" fails a step permanently after it has
 * really run (the worst case for undo: the service acted, the job did not record it), "step@node:before" fails
 * it before. Only the first try of each matching step fails; node "*" matches every node.
 */
export function parseFaults(spec: string): Fault[] {
  return spec.split(",").map((s) => s.trim()).filter(Boolean).map((item) => {
    const m = /^([a-z_]+)@([a-z0-9*][a-z0-9._-]*)(:before)?$/.exec(item);
    if (!m) throw new InvalidArgumentError(`fault "${item}": use step@node or step@node:before`);
    return { step: m[1]!, node: m[2]!, before: m[3] !== undefined };
  });
}

export class FaultyExecutor implements StepExecutor {
  constructor(private readonly inner: StepExecutor, private readonly faults: Fault[]) {}

  async run(ctx: StepContext): Promise<StepResult> {
    const fault = this.faults.find((f) => f.step === ctx.step && (f.node === "*" || f.node === ctx.job.node));
    if (!fault || ctx.attempt > 1) return this.inner.run(ctx);
    if (!fault.before) await this.inner.run(ctx);
    throw new FailedPreconditionError(`injected fault ${fault.before ? "before" : "after"} ${ctx.step}`);
  }

  undo(ctx: StepContext): Promise<void> {
    return this.inner.undo(ctx);
  }
}
