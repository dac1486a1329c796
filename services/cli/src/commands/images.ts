import { Image } from "@bmi/proto/bmi/image/v1/image";
import { arg, flag, opt, type Command, type Ctx } from "../context";
import { UsageError } from "../exit-codes";
import { bytes, when } from "../output";
import { downloadFile } from "../download";
import { formatOf, uploadFile } from "../upload";

/** `bmi <what> rm NAME`: one call, one line. */
export function removeCommand(what: string, summary: string, remove: (ctx: Ctx, name: string) => Promise<unknown>): Command {
  return {
    name: `${what} rm`, args: "NAME", summary, example: `bmi ${what} rm old-${what}`,
    async run(ctx, p) {
      const name = arg(p, 0, "NAME");
      await remove(ctx, name);
      if (!ctx.out.json) ctx.out.line(`deleted ${what} ${name}`);
    },
  };
}

const IMAGE_COLUMNS = ["name", "project", "size", "backend", "public", "disks", "snapshots", "parent", "created"];
const imageRow = (i: Image) => ({ name: i.name, project: i.project, size: bytes(i.sizeBytes), backend: i.backend, public: i.public,
  disks: i.diskCount, snapshots: i.snapshotCount, parent: i.parent || i.sourceDisk, created: when(i.created) });

export function showImages(ctx: Ctx, images: Image[]): void {
  if (ctx.out.json) ctx.out.data(images.map((i) => Image.toJSON(i)));
  else ctx.out.table(images.map(imageRow), IMAGE_COLUMNS);
}

export function showImage(ctx: Ctx, i: Image | undefined, verb: string): void {
  if (!i) return;
  if (ctx.out.json) ctx.out.data(Image.toJSON(i));
  else ctx.out.line(`${verb} image ${i.project}/${i.name} (${bytes(i.sizeBytes)}, sha256 ${i.checksum || "-"})`);
}

export const imageCommands: Command[] = [
  {
    name: "image ls", example: "bmi image ls --public", args: "[--public]", summary: "the project's images (--public: and every project's public ones)",
    options: { public: flag("every project's public images too") },
    async run(ctx, _p, v) {
      const images: Image[] = [];
      let pageToken = "";
      do {
        const res = await ctx.image.listImages({ project: ctx.project(), includePublic: v.public === true, pageSize: 500, pageToken }, ctx.call);
        images.push(...res.images);
        pageToken = res.nextPageToken;
      } while (pageToken);
      showImages(ctx, images);
    },
  },
  {
    name: "image show", example: "bmi image show centos7 --json", args: "NAME", summary: "one image",
    async run(ctx, p) {
      const { image } = await ctx.image.getImage({ project: ctx.project(), name: arg(p, 0, "NAME") }, ctx.call);
      if (ctx.out.json || !image) return showImage(ctx, image, "");
      for (const [k, val] of Object.entries({ ...imageRow(image), checksum: image.checksum })) ctx.out.line(`${k.padEnd(10)} ${String(val) || "-"}`);
    },
  },
  {
    name: "image import", example: "bmi image import centos7 --ceph legacy/centos7-golden@v2\nbmi image import centos7 --file /srv/images/centos7.qcow2", args: "NAME (--file PATH | --ceph POOL/IMAGE[@SNAP]) [--format raw|qcow2] [--public]",
    summary: "import a file on the image server or an existing Ceph image",
    options: { file: opt("PATH", "a file on the image server (not this machine: see bmi image upload)"),
      ceph: opt("POOL/IMAGE[@SNAP]", "an RBD image (or one of its snapshots) in image-service's cluster"),
      format: opt("raw|qcow2", "the file's format (default: detected)"),
      public: flag("visible to every project") },
    async run(ctx, p, v) {
      const name = arg(p, 0, "NAME");
      let source;
      if (typeof v.file === "string") source = { filePath: v.file };
      else if (typeof v.ceph === "string") {
        const m = /^([^/@]+)\/([^/@]+)(?:@(.+))?$/.exec(v.ceph);
        if (!m) throw new UsageError(`--ceph ${v.ceph}: use POOL/IMAGE or POOL/IMAGE@SNAP`);
        source = { ceph: { pool: m[1]!, image: m[2]!, snapshot: m[3] ?? "" } };
      } else throw new UsageError("--file PATH or --ceph POOL/IMAGE");
      const { image } = await ctx.image.importImage({ project: ctx.project(), name, ...source,
        format: formatOf(v.format as string | undefined, String(v.file ?? "")), public: v.public === true }, ctx.call);
      showImage(ctx, image, "imported");
    },
  },
  {
    name: "image upload", example: "bmi image upload centos7 ./centos7.qcow2 --format qcow2", args: "NAME FILE [--format raw|qcow2] [--public]", summary: "upload a local file as an image",
    options: { format: opt("raw|qcow2", "the file's format (default: from its header)"),
      public: flag("visible to every project") },
    async run(ctx, p, v) {
      const name = arg(p, 0, "NAME");
      const file = arg(p, 1, "FILE");
      const format = formatOf(v.format as string | undefined, file);
      showImage(ctx, await uploadFile(ctx, { project: ctx.project(), name, file, format, public: v.public === true }), "uploaded");
    },
  },
  {
    name: "image download", example: "bmi image download centos7 ./centos7.raw", args: "NAME FILE", summary: "download an image (raw) into a local file, checksum verified",
    async run(ctx, p) {
      const file = arg(p, 1, "FILE");
      const r = await downloadFile(ctx, ctx.project(), arg(p, 0, "NAME"), file);
      if (ctx.out.json) ctx.out.data({ file, sizeBytes: r.size, checksum: r.checksum });
      else ctx.out.line(`downloaded ${file} (${bytes(r.size)}, sha256 ${r.checksum})`);
    },
  },
  {
    name: "image cp", example: "bmi image cp centos7 centos7-test --to-project lab", args: "NAME NEW_NAME [--to-project P]", summary: "deep copy an image",
    options: { "to-project": opt("P", "copy into project P (default: the same project)") },
    async run(ctx, p, v) {
      const { image } = await ctx.image.copyImage({ project: ctx.project(), name: arg(p, 0, "NAME"), newName: arg(p, 1, "NEW_NAME"),
        newProject: (v["to-project"] as string) ?? "" }, ctx.call);
      showImage(ctx, image, "copied to");
    },
  },
  {
    name: "image mv", example: "bmi image mv centos7-test centos7-v2", args: "NAME NEW_NAME", summary: "rename an image",
    async run(ctx, p) {
      const { image } = await ctx.image.renameImage({ project: ctx.project(), name: arg(p, 0, "NAME"), newName: arg(p, 1, "NEW_NAME") }, ctx.call);
      showImage(ctx, image, "renamed to");
    },
  },
  removeCommand("image", "delete an image (refused while disks or snapshots depend on it)",
    (ctx, name) => ctx.image.deleteImage({ project: ctx.project(), name }, ctx.call)),
  {
    name: "image public", example: "bmi image public centos7\nbmi image public centos7 --off", args: "NAME [--off]", summary: "make an image visible to every project (--off: private again)",
    options: { off: flag("private again") },
    async run(ctx, p, v) {
      const { image } = await ctx.image.setImageVisibility({ project: ctx.project(), name: arg(p, 0, "NAME"), public: v.off !== true }, ctx.call);
      showImage(ctx, image, v.off ? "private:" : "public:");
    },
  },
];
