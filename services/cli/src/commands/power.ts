import { BootDevice, powerStateToJSON } from "@bmi/proto/bmi/haas/v1/haas";
import { PowerAction } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { arg, flag, type Command } from "../context";
import { UsageError } from "../exit-codes";

/** Power and boot device of the project's nodes: the orchestrator asks haas-gateway for the caller. */
export const powerCommands: Command[] = [
  {
    name: "node power", args: "on|off|cycle|status NODE [--force]", example: "bmi node power cycle n1\nbmi node power status n1 --json",
    summary: "power a node of the project on, off or cycle it, or say whether it is on (refused while a job works on it)",
    options: { force: flag("cycle: a hard reset, not an orderly shutdown first") },
    async run(ctx, p, v) {
      const verb = arg(p, 0, "on|off|cycle|status");
      const node = arg(p, 1, "NODE");
      if (verb === "status") {
        const { state } = await ctx.orch.getNodePower({ project: ctx.project(), node }, ctx.call);
        const power = powerStateToJSON(state).replace(/^POWER_STATE_/, "").toLowerCase();
        return ctx.out.json ? ctx.out.data({ node, power }) : ctx.out.line(`${node} ${power}`);
      }
      const action = ({ on: PowerAction.POWER_ACTION_ON, off: PowerAction.POWER_ACTION_OFF, cycle: PowerAction.POWER_ACTION_CYCLE } as Record<string, PowerAction>)[verb];
      if (action === undefined) throw new UsageError(`${verb}: on, off, cycle or status`);
      await ctx.orch.setNodePower({ project: ctx.project(), node, action, force: v.force === true }, ctx.call);
      if (ctx.out.json) ctx.out.data({ node, action: verb });
      else ctx.out.line(`${node}: power ${verb}`);
    },
  },
  {
    name: "node bootdev", args: "NODE pxe|disk", example: "bmi node bootdev n1 disk",
    summary: "what a node of the project boots from next: pxe (the network: BMI's disks) or disk (its local disk)",
    async run(ctx, p) {
      const node = arg(p, 0, "NODE");
      const name = arg(p, 1, "pxe|disk");
      const device = ({ pxe: BootDevice.BOOT_DEVICE_PXE, disk: BootDevice.BOOT_DEVICE_DISK } as Record<string, BootDevice>)[name];
      if (device === undefined) throw new UsageError(`${name}: pxe or disk`);
      await ctx.orch.setNodeBootDevice({ project: ctx.project(), node, device }, ctx.call);
      if (ctx.out.json) ctx.out.data({ node, bootDevice: name });
      else ctx.out.line(`${node}: boots from ${name} next`);
    },
  },
];
