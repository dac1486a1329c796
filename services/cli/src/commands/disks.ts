import { Disk } from "@bmi/proto/bmi/image/v1/image";
import { arg, opt, type Command } from "../context";
import { bytes, when } from "../output";
import { removeCommand, showImage, showImages } from "./images";
import { WAIT_OPTIONS, finish } from "./provision";

/** Disks (a node's clone of an image) and snapshots (a disk flattened into a new image). */
export const diskCommands: Command[] = [
  {
    name: "disk create", example: "bmi disk create n1-spare centos7", args: "NAME IMAGE", summary: "clone IMAGE into a disk (no target, no boot config)",
    async run(ctx, p) {
      const { disk, created } = await ctx.image.createDisk({ project: ctx.project(), name: arg(p, 0, "NAME"), image: arg(p, 1, "IMAGE") }, ctx.call);
      if (ctx.out.json) return ctx.out.data(disk ? Disk.toJSON(disk) : {});
      ctx.out.line(`${created ? "created" : "exists:"} disk ${disk?.name} from ${disk?.image}`);
    },
  },
  {
    name: "disk ls", example: "bmi disk ls --json", args: "", summary: "the project's disks",
    async run(ctx) {
      const { disks } = await ctx.image.listDisks({ project: ctx.project() }, ctx.call);
      ctx.out.list(disks, Disk.toJSON, (d) => ({ name: d.name, image: d.image, size: bytes(d.sizeBytes), backend: d.backend, created: when(d.created) }),
        ["name", "image", "size", "backend", "created"]);
    },
  },
  removeCommand("disk", "delete a disk", (ctx, name) => ctx.image.deleteDisk({ project: ctx.project(), name }, ctx.call)),
  {
    name: "snap create", example: "bmi snap create n1 centos7-configured", args: "NODE NAME | --disk DISK NAME", summary: "snapshot a node's disk (or any disk) into a new image",
    options: { disk: opt("DISK", "snapshot this disk (no node, no job: admins)"), ...WAIT_OPTIONS },
    async run(ctx, p, v) {
      if (typeof v.disk === "string") {
        const { image } = await ctx.image.createSnapshot({ project: ctx.project(), disk: v.disk, name: arg(p, 0, "NAME") }, ctx.call);
        return showImage(ctx, image, "snapshot");
      }
      const node = arg(p, 0, "NODE");
      const { job } = await ctx.orch.snapshotNode({ project: ctx.project(), node, image: arg(p, 1, "NAME"), idempotencyKey: (v.key as string) ?? "" }, ctx.call);
      await finish(ctx, job, v, `snapshot of ${node}`);
    },
  },
  removeCommand("snap", "delete a snapshot (an image made from a disk; refused while disks depend on it)",
    (ctx, name) => ctx.image.deleteImage({ project: ctx.project(), name }, ctx.call)),
  {
    name: "snap ls", example: "bmi snap ls", args: "", summary: "the project's snapshots",
    async run(ctx) {
      showImages(ctx, (await ctx.image.listSnapshots({ project: ctx.project() }, ctx.call)).snapshots);
    },
  },
];
