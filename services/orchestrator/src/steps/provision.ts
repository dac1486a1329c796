import { FailedPreconditionError } from "@bmi/errors";
import { BootConfig } from "@bmi/proto/bmi/boot/v1/boot";
import { Backing, Firmware } from "@bmi/proto/bmi/common/v1/common";
import type { StepContext, StepResult } from "../engine/executor";
import { gone, notFoundAs } from "./clients";
import type { StepEnv, StepTable } from "./table";

const out = (ctx: StepContext, step: string) => ctx.steps.get(step)?.outputs ?? {};
const secret = (ctx: StepContext, step: string) => ctx.steps.get(step)?.secrets ?? {};

async function checkNode(ctx: StepContext, env: StepEnv): Promise<StepResult> {
  const { job } = ctx;
  const { node } = await env.clients.haas.getNode({ node: job.node }, env.call(ctx));
  if (!node) throw new FailedPreconditionError(`node ${job.node} not found`);
  if (node.project !== "" && node.project !== job.project) {
    throw new FailedPreconditionError(`node ${job.node} is allocated to another project`);
  }
  const label = job.spec.nic || node.nics[0]?.label;
  const nic = node.nics.find((n) => n.label === label);
  if (!nic?.mac) throw new FailedPreconditionError(`node ${job.node} has no NIC ${label ?? ""} with a MAC address`);
  // Firmware and the UEFI loader come from the node's metadata (registered by the operator).
  const outputs = { nic: nic.label, mac: nic.mac, free: String(node.project === ""), firmware: node.metadata.firmware ?? "",
    efiLoader: node.metadata.efi_loader ?? "", power: node.powerDriver };
  return { outputs: Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== "")) };
}

async function createDisk(ctx: StepContext, env: StepEnv): Promise<StepResult> {
  const { project, spec } = ctx.job;
  const disk = spec.disk ?? "";
  if (spec.reuseDisk) {
    const { disk: d } = await env.clients.image.getDisk({ project, name: disk }, env.call(ctx));
    return { outputs: { disk, image: d?.image ?? "", created: "false" }, secrets: { backing: backingJson(d?.backing) } };
  }
  const res = await env.clients.image.createDisk({ project, name: disk, image: spec.image ?? "" }, env.call(ctx));
  // The name is fresh for this job: on a first try an existing disk is someone else's, on a retry it is ours.
  if (!res.created && ctx.attempt === 1) throw new FailedPreconditionError(`disk ${disk} already exists`);
  return { outputs: { disk, image: res.disk?.image ?? "", created: "true" }, secrets: { backing: backingJson(res.disk?.backing) } };
}

async function deleteDisk(ctx: StepContext, env: StepEnv): Promise<void> {
  const { project, spec, created } = ctx.job;
  if (spec.reuseDisk) return;
  const rec = ctx.steps.get("disk");
  if (rec?.state !== "SUCCEEDED") {
    // Half done: delete only a disk this job made (not one that was there before it).
    const d = await env.clients.image.getDisk({ project, name: spec.disk ?? "" }, env.call(ctx)).catch(notFoundAs(undefined));
    if (!d?.disk || (d.disk.created && d.disk.created.getTime() < Date.parse(created) - 1000)) return;
  }
  await gone(env.clients.image.deleteDisk({ project, name: spec.disk ?? "" }, env.call(ctx)));
}

async function createTarget(ctx: StepContext, env: StepEnv): Promise<StepResult> {
  const { project, spec } = ctx.job;
  const backing = Backing.fromJSON(JSON.parse(secret(ctx, "disk").backing ?? "{}"));
  const { target } = await env.clients.target.createTarget(
    { project, disk: spec.disk ?? "", backing, initiatorIqn: spec.initiatorIqn ?? "" }, env.call(ctx));
  if (!target?.target) throw new FailedPreconditionError(`target-service answered no target for disk ${spec.disk}`);
  return {
    outputs: { iqn: target.target.iqn, portals: target.target.portals.join(","), lun: String(target.target.lun) },
    secrets: { chapUser: target.chap?.user ?? "", chapSecret: target.chap?.secret ?? "",
      ...(target.reverseChap ? { reverseUser: target.reverseChap.user, reverseSecret: target.reverseChap.secret } : {}) },
  };
}

async function setBootConfig(ctx: StepContext, env: StepEnv): Promise<void> {
  const { job } = ctx;
  const t = out(ctx, "target");
  const chap = secret(ctx, "target");
  const fw = out(ctx, "check_node").firmware;
  await env.clients.boot.setBootConfig({ config: BootConfig.fromPartial({
    node: job.node, project: job.project, macs: [out(ctx, "check_node").mac ?? ""],
    target: { iqn: t.iqn ?? "", portals: (t.portals ?? "").split(",").filter(Boolean), lun: Number(t.lun ?? 1) },
    chap: { user: chap.chapUser ?? "", secret: chap.chapSecret ?? "" }, initiatorIqn: job.spec.initiatorIqn ?? "",
    reverseChap: chap.reverseUser ? { user: chap.reverseUser, secret: chap.reverseSecret ?? "" } : undefined,
    firmware: fw === "uefi" ? Firmware.FIRMWARE_UEFI : fw === "bios" ? Firmware.FIRMWARE_BIOS : Firmware.FIRMWARE_UNSPECIFIED,
    efiLoader: out(ctx, "check_node").efiLoader ?? "",
  }) }, env.call(ctx));
}

/** Undo of a re-provision's boot config: back to the disk the node booted before. */
async function restoreBootConfig(ctx: StepContext, env: StepEnv): Promise<void> {
  const { job } = ctx;
  const prev = job.spec.previous;
  const { target } = prev
    ? await env.clients.target.getTarget({ project: job.project, disk: prev.disk }, env.call(ctx)).catch(notFoundAs({ target: undefined }))
    : { target: undefined };
  if (!target?.target) {
    await env.clients.boot.clearBootConfig({ node: job.node }, env.call(ctx));
    return;
  }
  const { config } = await env.clients.boot.getBootConfig({ node: job.node }, env.call(ctx));
  await env.clients.boot.setBootConfig({ config: { ...config!, target: target.target, chap: target.chap, reverseChap: target.reverseChap } }, env.call(ctx));
}

export const PROVISION_STEPS: StepTable = {
  check_node: { run: checkNode },
  allocate: {
    run: async (ctx, env) => {
      if (out(ctx, "check_node").free !== "true") return { outputs: { allocated: "false" } };
      const res = await env.clients.haas.allocateNode({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx));
      return { outputs: { allocated: String(res.allocated) } };
    },
    undo: async (ctx, env) => {
      if (out(ctx, "check_node").free !== "true" || out(ctx, "allocate").allocated === "false") return;
      await gone(env.clients.haas.releaseNode({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx)));
    },
  },
  disk: { run: createDisk, undo: deleteDisk },
  target: {
    run: createTarget,
    undo: (ctx, env) => gone(env.clients.target.deleteTarget({ project: ctx.job.project, disk: ctx.job.spec.disk ?? "" }, env.call(ctx))),
  },
  boot_config: {
    run: setBootConfig,
    undo: (ctx, env) => ctx.job.kind === "REPROVISION" ? restoreBootConfig(ctx, env)
      : env.clients.boot.clearBootConfig({ node: ctx.job.node }, env.call(ctx)).then(() => undefined),
  },
  network: {
    run: async (ctx, env) => {
      const { job } = ctx;
      const res = await env.clients.haas.connectNetwork({ project: job.project, node: job.node,
        nic: out(ctx, "check_node").nic ?? "", network: job.spec.network ?? "", channel: "" }, env.call(ctx));
      return { outputs: { changed: String(res.changed) } };
    },
    undo: async (ctx, env) => {
      if (out(ctx, "network").changed === "false") return;
      const { job } = ctx;
      await gone(env.clients.haas.detachNetwork({ project: job.project, node: job.node,
        nic: out(ctx, "check_node").nic ?? "", network: job.spec.network ?? "" }, env.call(ctx)));
    },
  },
  power: {
    run: async (ctx, env) => {
      if (!out(ctx, "check_node").power) throw new FailedPreconditionError(`node ${ctx.job.node} has no power control to power-cycle it`);
      // Armed again right before the node starts: its first fetch binds the script (and the target's ACL) to it.
      await env.clients.boot.armBootConfig({ node: ctx.job.node }, env.call(ctx));
      await env.clients.haas.powerCycle({ project: ctx.job.project, node: ctx.job.node, force: true }, env.call(ctx));
    },
    undo: async (ctx, env) => {
      if (!out(ctx, "check_node").power) return;
      await env.clients.haas.powerOff({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx));
    },
  },
  boot_seen: { run: (ctx, env) => env.waitForBoot(ctx) },
  retire_previous: {
    run: (ctx, env) => gone(env.clients.target.deleteTarget({ project: ctx.job.project, disk: ctx.job.spec.previous?.disk ?? "" }, env.call(ctx))),
  },
};

function backingJson(b: Backing | undefined): string {
  return JSON.stringify(Backing.toJSON(b ?? Backing.fromPartial({})));
}
