import { FailedPreconditionError } from "@bmi/errors";
import type { StepContext, StepExecutor, StepResult } from "../engine/executor";
import type { JobKind } from "../engine/types";
import type { ServiceClients } from "./clients";
import { PROVISION_STEPS } from "./provision";
import { DEPROVISION_STEPS, SNAPSHOT_STEPS } from "./teardown";
import type { StepEnv, StepTable } from "./table";
import { waitForBoot, type BootWatch } from "./boot-wait";
import type { CredentialSeal } from "../jobs/principal";

const TABLES: Record<JobKind, StepTable> = {
  PROVISION: PROVISION_STEPS, REPROVISION: PROVISION_STEPS, DEPROVISION: DEPROVISION_STEPS, SNAPSHOT: SNAPSHOT_STEPS, BULK: {},
};

/** The steps of every plan, against the real image, target, boot and haas services. */
export class ServiceExecutor implements StepExecutor {
  private readonly env: StepEnv;

  constructor(clients: ServiceClients, boots: BootWatch, callDeadlineMs: number, seal: CredentialSeal) {
    this.env = {
      clients,
      call: (ctx) => ({ deadlineMs: callDeadlineMs, signal: ctx.signal, ...seal.callOptions(ctx.job.principal) }),
      waitForBoot: (ctx) => waitForBoot(ctx, boots),
    };
  }

  async run(ctx: StepContext): Promise<StepResult> {
    return (await this.impl(ctx).run(ctx, this.env)) ?? {};
  }

  async undo(ctx: StepContext): Promise<void> {
    await this.impl(ctx).undo?.(ctx, this.env);
  }

  private impl(ctx: StepContext) {
    const impl = TABLES[ctx.job.kind][ctx.step];
    if (!impl) throw new FailedPreconditionError(`no step ${ctx.step} for ${ctx.job.kind} jobs`);
    return impl;
  }
}
