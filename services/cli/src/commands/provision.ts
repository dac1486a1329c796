import { readFileSync } from "node:fs";
import { NodeState, ProvisionOptions, Provisioned, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { arg, flag, num, opt, type Command, type Ctx, type Options, type Values } from "../context";
import { OperationFailed, UsageError } from "../exit-codes";
import { LocalFileError } from "../local-file";
import { reportJob, waitJob } from "../jobs-view";
import { when } from "../output";

export const WAIT_OPTIONS: Options = {
  "no-wait": flag("print the job id and return at once (bmi job watch ID follows it)"),
  key: opt("KEY", "idempotency key: the same request with the same key answers the same job"),
};
export const BOOT_OPTIONS: Options = {
  "power-cycle": flag("power-cycle the node once its boot is set up"),
  "wait-boot": flag("power-cycle and wait until the node has fetched its boot script"),
  "boot-timeout": opt("S", "seconds --wait-boot waits (default: the orchestrator's)"),
};

/** What the node's OS gets over NoCloud from boot-service (pro and repro). */
export const METADATA_OPTIONS: Options = {
  hostname: opt("NAME", "the node's host name in its metadata (default: the node's name)"),
  "user-data": opt("FILE", "the node's NoCloud user-data from FILE (a #! script or #cloud-config, at most 64 KiB)"),
  "wait-os": flag("with --wait-boot: wait until the OS on the disk reports userspace; fail at once when sanboot fails"),
};

export function bootOptions(v: Values): ProvisionOptions {
  const file = typeof v["user-data"] === "string" ? v["user-data"] : "";
  let userData = "";
  try {
    userData = file ? readFileSync(file, "utf8") : "";
  } catch (err) {
    throw new LocalFileError("read", file, err);
  }
  if (v["wait-os"] === true && v["wait-boot"] !== true) throw new UsageError("--wait-os needs --wait-boot");
  return ProvisionOptions.fromPartial({
    powerCycle: v["power-cycle"] === true || v["wait-boot"] === true, waitForBoot: v["wait-boot"] === true,
    bootTimeoutSeconds: num(v, "boot-timeout"), hostname: typeof v.hostname === "string" ? v.hostname : "", userData,
    waitForUserspace: v["wait-os"] === true,
  });
}

/** Prints the job id at once with --no-wait, else waits and reports how it ended. */
export async function finish(ctx: Ctx, job: Job | undefined, v: Values, what: string): Promise<void> {
  if (!job) throw new OperationFailed(`${what}: the orchestrator answered no job`);
  if (v["no-wait"]) {
    if (ctx.out.json) ctx.out.data({ id: job.id });
    else ctx.out.line(job.id);
    return;
  }
  reportJob(ctx, await waitJob(ctx, job), what);
}

export const provisionCommands: Command[] = [
  {
    name: "pro", example: "bmi pro n1 centos7 --network prov --wait-boot\nbmi pro n1 --disk n1-1 --no-wait\nbmi pro n1 debian12 --hostname web-1 --user-data init.sh --wait-boot --wait-os",
    args: "NODE [IMAGE] [--disk DISK] [--nic LABEL] [--network NET] [--power-cycle] [--wait-boot] [--hostname NAME] [--user-data FILE] [--wait-os]",
    summary: "provision a node: clone IMAGE (or boot an existing --disk), export it, point the node's network boot at it",
    options: { disk: opt("DISK", "boot this existing disk of the project instead of cloning IMAGE"),
      nic: opt("LABEL", "the NIC that boots (default: the node's first)"),
      network: opt("NET", "the network to connect the NIC to (HIL)"), ...BOOT_OPTIONS, ...METADATA_OPTIONS, ...WAIT_OPTIONS },
    async run(ctx, p, v) {
      const node = arg(p, 0, "NODE");
      const disk = typeof v.disk === "string" ? v.disk : "";
      const image = p[1] ?? "";
      if (!image && !disk) throw new UsageError("missing IMAGE (or --disk DISK)");
      const { job } = await ctx.orch.provisionNode({
        project: ctx.project(), spec: { node, image, disk, nic: (v.nic as string) ?? "", network: (v.network as string) ?? "" },
        options: bootOptions(v), idempotencyKey: (v.key as string) ?? "",
      }, ctx.call);
      await finish(ctx, job, v, `provision ${node}`);
    },
  },
  {
    name: "dpro", example: "bmi dpro n1 n2 --delete-disk --release", args: "NODE... [--delete-disk] [--release]",
    summary: "deprovision nodes: boot config, network, target (and disk with --delete-disk) removed",
    options: { "delete-disk": flag("delete the node's disk too (default: kept, for bmi repro or bmi snap create)"),
      release: flag("give the node back to HIL's free pool"), ...WAIT_OPTIONS },
    async run(ctx, p, v) {
      arg(p, 0, "NODE");
      const jobs = [];
      for (const node of p) {
        const { job } = await ctx.orch.deprovisionNode({ project: ctx.project(), node, deleteDisk: v["delete-disk"] === true,
          releaseNode: v.release === true, idempotencyKey: v.key ? `${v.key as string}-${node}` : "" }, ctx.call);
        jobs.push([node, job] as const);
      }
      let failed: unknown;
      for (const [node, job] of jobs) await finish(ctx, job, v, `deprovision ${node}`).catch((err: unknown) => { failed ??= err; });
      if (failed) throw failed;
    },
  },
  {
    name: "repro", example: "bmi repro n1 n1-1 --power-cycle", args: "NODE DISK [--power-cycle] [--wait-boot] [--hostname NAME] [--user-data FILE] [--wait-os]",
    summary: "re-provision a node to one of its earlier disks (no clone)",
    options: { ...BOOT_OPTIONS, ...METADATA_OPTIONS, ...WAIT_OPTIONS },
    async run(ctx, p, v) {
      const node = arg(p, 0, "NODE");
      const { job } = await ctx.orch.reprovisionNode({ project: ctx.project(), node, disk: arg(p, 1, "DISK"),
        options: bootOptions(v), idempotencyKey: (v.key as string) ?? "" }, ctx.call);
      await finish(ctx, job, v, `re-provision ${node}`);
    },
  },
  {
    name: "ls", example: "bmi ls -p demo --json", args: "", summary: "list the project's provisioned nodes",
    async run(ctx) {
      const { nodes } = await ctx.orch.listProvisioned({ project: ctx.project() }, ctx.call);
      ctx.out.list(nodes, Provisioned.toJSON, (n) => ({
        node: n.node, state: (NodeState[n.state] ?? "").replace(/^NODE_STATE_/, ""), disk: n.disk, image: n.image,
        target: n.targetIqn, disks: n.disks.join(","), job: n.jobId, updated: when(n.updated),
      }), ["node", "state", "disk", "image", "target", "disks", "job", "updated"]);
    },
  },
];
