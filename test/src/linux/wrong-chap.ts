import { StepState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { E2eStack } from "../e2e/e2e-stack";

/**
 * Waits until the job's target step has made the node's target, then gives its CHAP account another secret in
 * tgtd, behind target-service's back: the node's boot config (and so iPXE and the iBFT) keeps the one the job got.
 */
export async function breakChap(s: E2eStack, project: string, jobId: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const { job } = await s.orch.getJob({ id: jobId });
    const step = job?.steps.find((x) => x.name === "target");
    if (step?.state === StepState.STEP_STATE_SUCCEEDED) break;
    if (!job || Date.now() > until || job.steps.some((x) => x.state === StepState.STEP_STATE_FAILED)) {
      throw new Error(`job ${jobId} made no target: ${JSON.stringify(job?.steps.map((x) => [x.name, x.state, x.error]))}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const disk = (await s.orch.getJob({ id: jobId })).job?.steps.find((x) => x.name === "disk")?.outputs.disk ?? "";
  const { target } = await s.target.getTarget({ project, disk });
  const iqn = target?.target?.iqn ?? "";
  const user = target?.chap?.user ?? "";
  if (!user) throw new Error(`no CHAP user for disk ${disk} (${iqn})`);
  const tidOf = async () => new RegExp(`^Target (\\d+): ${iqn.replace(/[.]/g, "\\.")}$`, "m").exec(await s.tgtd.tgtadm(["--mode", "target", "--op", "show"]))?.[1];
  // target-service's reconciler makes a missing account again (with the right secret) when it passes between the
  // delete and the new, and a target it finds amiss may be made again under another tid between the listing and the
  // bind: either way the whole exchange is done again, with the tid read again.
  for (let attempt = 1; ; attempt++) {
    const tid = await tidOf();
    if (!tid) throw new Error(`no tgtd target for disk ${disk} (${iqn})`);
    try {
      await s.tgtd.tgtadm(["--mode", "account", "--op", "delete", "--user", user]).catch(() => undefined);
      await s.tgtd.tgtadm(["--mode", "account", "--op", "new", "--user", user, "--password", "not-the-secret-0123"]);
      await s.tgtd.tgtadm(["--mode", "account", "--op", "bind", "--tid", tid, "--user", user]);
      return;
    } catch (err) {
      if (attempt >= 20 || !/already exists|can't find the target/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
