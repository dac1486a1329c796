import { FailedPreconditionError } from "@bmi/errors";
import type { StepContext, StepExecutor, StepResult } from "../engine/step-executor";
import type { StepName } from "../engine/plan";
import type { JobKind } from "../engine/types";
import type { ServiceClients } from "./clients";
import { PROVISION_IDLE, PROVISION_STEPS } from "./provision";
import { PROVISION_UNDO } from "./undo";
import { DEPROVISION_IDLE, DEPROVISION_STEPS } from "./deprovision";
import { SNAPSHOT_STEPS, SNAPSHOT_UNDO } from "./snapshot";
import type { IdleStep, RunStep, StepEnv, UndoStep } from "./table";
import { waitForBoot, type BootWatch } from "./boot-wait";
import type { CredentialSeal } from "../jobs/principal";
import { fromHeaders, inSpan, tracingOn } from "@bmi/tracing";

const RUN: Record<JobKind, Partial<Record<StepName, RunStep>>> = {
  PROVISION: PROVISION_STEPS, REPROVISION: PROVISION_STEPS, DEPROVISION: DEPROVISION_STEPS, SNAPSHOT: SNAPSHOT_STEPS, BULK: {},
};

// A deprovision is never undone (plan.ts isUndoable), so it has no table here.
const UNDO: Record<JobKind, Partial<Record<StepName, UndoStep>>> = {
  PROVISION: PROVISION_UNDO, REPROVISION: PROVISION_UNDO, DEPROVISION: {}, SNAPSHOT: SNAPSHOT_UNDO, BULK: {},
};

// Steps that may have nothing to call, and when.
const IDLE: Record<JobKind, Partial<Record<StepName, IdleStep>>> = {
  PROVISION: PROVISION_IDLE, REPROVISION: PROVISION_IDLE, DEPROVISION: DEPROVISION_IDLE, SNAPSHOT: {}, BULK: {},
};

/** The steps of every plan, against the real image, target, boot and haas services. */
export class ServiceExecutor implements StepExecutor {
  private readonly env: StepEnv;

  constructor(clients: ServiceClients, boots: BootWatch, callDeadlineMs: number, private readonly seal: CredentialSeal) {
    this.env = {
      clients,
      call: (ctx) => ({ deadlineMs: callDeadlineMs, signal: ctx.signal, ...seal.callOptions(ctx.job.principal) }),
      waitForBoot: (ctx) => waitForBoot(ctx, boots),
    };
  }

  async run(ctx: StepContext): Promise<StepResult> {
    const run = RUN[ctx.job.kind][ctx.step];
    if (!run) throw new FailedPreconditionError(`no step ${ctx.step} for ${ctx.job.kind} jobs`);
    return this.traced(ctx, "step", async () => (await run(ctx, this.env)) ?? {});
  }

  idle(ctx: StepContext): boolean {
    return IDLE[ctx.job.kind][ctx.step]?.(ctx) ?? false;
  }

  async undo(ctx: StepContext): Promise<void> {
    if (!RUN[ctx.job.kind][ctx.step]) throw new FailedPreconditionError(`no step ${ctx.step} for ${ctx.job.kind} jobs`);
    const undo = UNDO[ctx.job.kind][ctx.step];
    await this.traced(ctx, "undo", async () => undo?.(ctx, this.env));
  }

  /**
   * A step runs long after the call that made its job, in a worker: its span continues that call's trace (kept
   * with the job's principal), so the calls it makes to the other services join it too.
   */
  private traced<T>(ctx: StepContext, what: string, fn: () => Promise<T>): Promise<T> {
    if (!tracingOn()) return fn();
    const headers = this.seal.traceOf(ctx.job.principal);
    return inSpan(`${what} ${ctx.step}`, {
      parent: fromHeaders((key) => headers[key]),
      attributes: { "bmi.job.id": ctx.job.id, "bmi.job.kind": ctx.job.kind, "bmi.step": ctx.step, "bmi.step.attempt": ctx.attempt },
    }, fn);
  }
}
