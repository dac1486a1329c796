import { FailedPreconditionError } from "@bmi/errors";
import { BootConfig } from "@bmi/proto/bmi/boot/v1/boot";
import { Backing, Firmware } from "@bmi/proto/bmi/common/v1/common";
import { CreateTargetRequest } from "@bmi/proto/bmi/target/v1/target";
import type { ProvisionStepName } from "../engine/plan";
import type { StepContext, StepResult } from "../engine/step-executor";
import { PROVISION_OUTPUTS as OUT, PROVISION_SECRETS as SECRET, provisionOutput as out, provisionSecret as secret } from "../engine/outputs";
import { gone } from "./clients";
import type { IdleStep, StepEnv, StepTable } from "./table";

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
  return { outputs: OUT.check_node.write({ nic: nic.label, mac: nic.mac, free: node.project === "",
    firmware: node.metadata.firmware, efiLoader: node.metadata.efi_loader, power: node.powerDriver }) };
}

async function createDisk(ctx: StepContext, env: StepEnv): Promise<StepResult> {
  const { project, spec } = ctx.job;
  const disk = spec.disk ?? "";
  if (spec.reuseDisk) {
    const { disk: d } = await env.clients.image.getDisk({ project, name: disk }, env.call(ctx));
    return { outputs: OUT.disk.write({ disk, image: d?.image ?? "", created: false }), secrets: SECRET.disk.write({ backing: backingOf(d?.backing) }) };
  }
  const res = await env.clients.image.createDisk({ project, name: disk, image: spec.image ?? "" }, env.call(ctx));
  // The name is fresh for this job: on a first try an existing disk is someone else's, on a retry it is ours.
  if (!res.created && ctx.attempt === 1) throw new FailedPreconditionError(`disk ${disk} already exists`);
  return { outputs: OUT.disk.write({ disk, image: res.disk?.image ?? "", created: true }), secrets: SECRET.disk.write({ backing: backingOf(res.disk?.backing) }) };
}

async function createTarget(ctx: StepContext, env: StepEnv): Promise<StepResult> {
  const { project, spec } = ctx.job;
  const { backing } = secret(ctx.steps, "disk");
  const { target } = await env.clients.target.createTarget(CreateTargetRequest.fromPartial(
    { project, disk: spec.disk ?? "", backing, initiatorIqn: spec.initiatorIqn ?? "" }), env.call(ctx),
    spec.targetHosts !== undefined ? { hosts: spec.targetHosts } : undefined);
  if (!target?.target) throw new FailedPreconditionError(`target-service answered no target for disk ${spec.disk}`);
  return {
    outputs: OUT.target.write({ iqn: target.target.iqn, portals: target.target.portals, lun: target.target.lun }),
    secrets: SECRET.target.write({ chapUser: target.chap?.user ?? "", chapSecret: target.chap?.secret ?? "",
      reverseUser: target.reverseChap?.user, reverseSecret: target.reverseChap?.secret }),
  };
}

async function setBootConfig(ctx: StepContext, env: StepEnv): Promise<void> {
  const { job } = ctx;
  const t = out(ctx.steps, "target");
  const chap = secret(ctx.steps, "target");
  const node = out(ctx.steps, "check_node");
  const fw = node.firmware;
  await env.clients.boot.setBootConfig({ config: BootConfig.fromPartial({
    node: job.node, project: job.project, macs: [node.mac ?? ""],
    target: { iqn: t.iqn, portals: t.portals, lun: t.lun },
    chap: { user: chap.chapUser, secret: chap.chapSecret }, initiatorIqn: job.spec.initiatorIqn ?? "",
    reverseChap: chap.reverseUser ? { user: chap.reverseUser, secret: chap.reverseSecret ?? "" } : undefined,
    firmware: fw === "uefi" ? Firmware.FIRMWARE_UEFI : fw === "bios" ? Firmware.FIRMWARE_BIOS : Firmware.FIRMWARE_UNSPECIFIED,
    efiLoader: node.efiLoader ?? "",
    metadata: { hostname: job.spec.hostname ?? "", userData: job.spec.userData ?? "" },
  }) }, env.call(ctx));
}

/** Each step of a provision and of a re-provision; what undoes them is in undo.ts. */
export const PROVISION_STEPS = {
  check_node: checkNode,
  allocate: async (ctx, env) => {
    if (PROVISION_IDLE.allocate(ctx)) return { outputs: OUT.allocate.write({ allocated: false }) };
    const res = await env.clients.haas.allocateNode({ project: ctx.job.project, node: ctx.job.node }, env.call(ctx));
    return { outputs: OUT.allocate.write({ allocated: res.allocated }) };
  },
  disk: createDisk,
  target: createTarget,
  boot_config: setBootConfig,
  network: async (ctx, env) => {
    const { job } = ctx;
    const res = await env.clients.haas.connectNetwork({ project: job.project, node: job.node,
      nic: out(ctx.steps, "check_node").nic ?? "", network: job.spec.network ?? "", channel: "" }, env.call(ctx));
    return { outputs: OUT.network.write({ changed: res.changed }) };
  },
  power: async (ctx, env) => {
    if (!out(ctx.steps, "check_node").power) throw new FailedPreconditionError(`node ${ctx.job.node} has no power control to power-cycle it`);
    // Armed again right before the node starts: its first fetch binds the script (and the target's ACL) to it.
    await env.clients.boot.armBootConfig({ node: ctx.job.node }, env.call(ctx));
    await env.clients.haas.powerCycle({ project: ctx.job.project, node: ctx.job.node, force: true }, env.call(ctx));
  },
  boot_seen: (ctx, env) => env.waitForBoot(ctx),
  retire_previous: (ctx, env) =>
    gone(env.clients.target.deleteTarget({ project: ctx.job.project, disk: ctx.job.spec.previous?.disk ?? "" }, env.call(ctx))),
} satisfies StepTable<ProvisionStepName>;

/** A node the project holds already needs no allocation: its allocate step takes no HIL slot. */
export const PROVISION_IDLE = {
  allocate: (ctx) => !out(ctx.steps, "check_node").free,
} satisfies Partial<Record<ProvisionStepName, IdleStep>>;

function backingOf(b: Backing | undefined): Backing {
  return b ?? Backing.fromPartial({});
}
