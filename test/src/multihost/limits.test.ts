import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BulkProvisionRequest, JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { TargetHostsClient } from "@bmi/proto/bmi/orchestrator/v1/target_hosts";
import { createClient } from "@bmi/grpc";
import { testClientTls } from "@bmi/testing";
import { goldenImage, startStack, type Stack } from "../support/stack";
import { waitJob } from "../e2e/jobs";

const NODES = 24;

/**
 * Every tgtadm run target-service makes, as tgtd sees them: with BMI_TGTD_IPC=false each request to tgtd is one
 * tgtadm process, and this wrapper (first on target-service's PATH) logs its start and end around the real one.
 */
function tgtadmWrapper(dir: string, log: string): string {
  const bin = path.join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, "tgtadm"), [
    "#!/bin/sh", `echo "s $(date +%s%N) $$ $*" >> ${log}`, '/usr/sbin/tgtadm "$@"', "rc=$?", `echo "e $(date +%s%N) $$" >> ${log}`, "exit $rc", "",
  ].join("\n"));
  chmodSync(path.join(bin, "tgtadm"), 0o755);
  return bin;
}

/**
 * Creates as tgtd saw them: a create is every request naming its tid, from the first one's start to the last one's
 * end (target new, LUN, ACL, account bind); answers the most that overlapped.
 */
function peakCreates(log: string): { peak: number; creates: number } {
  const starts = new Map<string, { t: bigint; tid: string }>();
  const windows = new Map<string, { from: bigint; to: bigint }>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const [kind, t, pid, ...args] = line.split(" ");
    if (kind === "s") {
      const tid = /--tid[= ](\d+)/.exec(args.join(" "))?.[1];
      if (tid && args.join(" ").includes("--op") && !args.join(" ").includes("--op show")) starts.set(pid!, { t: BigInt(t!), tid });
    } else if (kind === "e" && starts.has(pid!)) {
      const { t: from, tid } = starts.get(pid!)!;
      starts.delete(pid!);
      const w = windows.get(tid);
      windows.set(tid, { from: w && w.from < from ? w.from : from, to: w && w.to > BigInt(t!) ? w.to : BigInt(t!) });
    }
  }
  const edges = [...windows.values()].flatMap((w) => [[w.from, 1], [w.to, -1]] as Array<[bigint, number]>)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d));
  return { peak, creates: windows.size };
}

// Three orchestrators, one bulk job, the target-host limit at 4: tgtd itself never sees more than 4 creates at once.
describe("the target-host limit holds across three orchestrators, measured at tgtd", { timeout: 600_000 }, () => {
  let s: Stack;
  let log: string;
  // The tgtadm wrapper and its log: removed with the stack, also when the test fails.
  const dir = mkdtempSync(path.join(tmpdir(), "bmi-limits-"));

  before(async () => {
    log = path.join(dir, "tgtadm.log");
    writeFileSync(log, "");
    const bin = tgtadmWrapper(dir, log);
    s = await startStack({ tag: "limits", orchEnv: { BMI_ORCH_LIMITS: "target=64,target-host=4,image=16", BMI_ORCH_LEASE_MS: "3000" },
      targetEnv: { BMI_TARGET_HOST_ID: "lim1", BMI_TGTD_IPC: "false", PATH: `${bin}:${process.env.PATH ?? ""}`, BMI_TARGET_HEARTBEAT_MS: "300" } });
    await s.addOrchestrator();
    await s.addOrchestrator();
    await s.registerNodes(Array.from({ length: NODES }, (_, i) => `lim${i}`));
    await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false });
    await new Promise((r) => setTimeout(r, 600)); // the host's first heartbeat
  });
  after(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`provisions ${NODES} nodes with never more than 4 creates in tgtd at once; ListLimits shows the bottleneck`, async () => {
    writeFileSync(log, "");
    const { job } = await s.orch.bulkProvision(BulkProvisionRequest.fromPartial({ project: "p1", freeNodes: { count: NODES, image: "golden", network: "" },
      maxParallel: 48, options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 } }));
    const admin = createClient(TargetHostsClient, s.orchAddr, { deadlineMs: 10_000, tls: testClientTls() });
    let seen = 0;
    const watch = setInterval(() => void admin.listLimits({}).then((r) => {
      const h = r.limits.find((l) => l.bottleneck === "target-host:lim1");
      if (h) seen = Math.max(seen, h.holders.length);
    }).catch(() => undefined), 50);
    const done = await waitJob(s.orch, job!.id, 400_000);
    clearInterval(watch);
    admin.close();
    assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
    const { peak, creates } = peakCreates(log);
    console.log(`# ${creates} creates seen at tgtd, at most ${peak} at once (limit 4); ListLimits showed up to ${seen} holders`);
    assert.equal(creates, NODES);
    assert.ok(peak <= 4, `tgtd saw ${peak} creates at once`);
    assert.ok(peak >= 2, "creates did overlap: the limit, not a lack of work, kept them at most 4");
    assert.ok(seen >= 1 && seen <= 4);
  });
});
