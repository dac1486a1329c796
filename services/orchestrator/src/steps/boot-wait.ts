import { FailedPreconditionError } from "@bmi/errors";
import type { StepContext, StepResult } from "../engine/step-executor";
import { sleep } from "../engine/retry";

/** The last boot phase seen for a node, whichever instance joined it (JobQueries.lastBoot). */
export interface BootWatch {
  lastBoot(node: string): Promise<{ phase: string; seen: number } | undefined>;
}

const DEFAULT_TIMEOUT_S = 300;

/**
 * Waits until boot-service reports that the node fetched its script and called back before sanboot, after the
 * power step. Polls Redis rather than NATS so a resumed job on another instance sees an event that arrived while
 * it was being taken over. The deadline counts from the power cycle, not from a resume.
 */
export async function waitForBoot(ctx: StepContext, boots: BootWatch): Promise<StepResult> {
  const power = ctx.steps.get("power");
  const since = Date.parse(power?.started ?? ctx.steps.get("boot_config")?.finished ?? new Date().toISOString());
  const timeoutS = ctx.job.spec.bootTimeoutSeconds || DEFAULT_TIMEOUT_S;
  const deadline = since + timeoutS * 1000;
  for (let i = 0; ; i++) {
    const seen = await boots.lastBoot(ctx.job.node);
    // With wait_for_userspace the boot is over when the OS on the disk says so; a failed sanboot ends it at once.
    const until = ctx.job.spec.waitForUserspace ? "USERSPACE" : "BOOT_ATTEMPTED";
    if (seen && seen.phase === until && seen.seen >= since) {
      return { outputs: { phase: seen.phase, seconds: ((seen.seen - since) / 1000).toFixed(1) } };
    }
    if (ctx.job.spec.waitForUserspace && seen?.phase === "BOOT_FAILED" && seen.seen >= since) {
      throw new FailedPreconditionError(`node ${ctx.job.node} could not boot its disk: sanboot failed (iSCSI login refused: ` +
        "CHAP credentials, the target's ACL, or the target is gone)");
    }
    if (Date.now() > deadline) throw new FailedPreconditionError(`node ${ctx.job.node} did not boot within ${timeoutS} s`);
    if (i % 4 === 3 && (await ctx.cancelled())) throw new FailedPreconditionError("cancelled while waiting for the boot");
    await sleep(250, ctx.signal);
    if (ctx.signal.aborted) throw new FailedPreconditionError("stopped");
  }
}
