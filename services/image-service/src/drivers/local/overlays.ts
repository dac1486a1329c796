import { readFile, rm, writeFile } from "node:fs/promises";
import type { LocalLayout } from "./layout";
import type { QemuImg } from "../qemu-img";

const CACHED = 64;

/**
 * Makes empty qcow2 overlays on an image. `qemu-img create` is a process start (most of a disk's creation time);
 * its output for one image is always the same bytes (the backing path has a fixed length and names the image by
 * id, and qcow2 headers hold no time or random field), so qemu-img makes one template per image and every overlay
 * is a copy of it. The disks a bulk asks for at once share the one run: without that, each of the first 64 ran its
 * own qemu-img.
 */
export class OverlayMaker {
  /** Each image's overlay bytes, or the qemu-img run making them. */
  private readonly templates = new Map<string, Promise<Buffer>>();

  constructor(private readonly layout: LocalLayout, private readonly qemuImg: QemuImg) {}

  async create(file: string, imageId: string): Promise<void> {
    await writeFile(file, await this.template(imageId), { flag: "wx" });
  }

  private template(imageId: string): Promise<Buffer> {
    const cached = this.templates.get(imageId);
    if (cached) return cached;
    const made = this.make(imageId);
    if (this.templates.size >= CACHED) this.templates.delete(this.templates.keys().next().value as string);
    this.templates.set(imageId, made);
    // A failed run is not remembered: the next disk tries again.
    made.catch(() => { if (this.templates.get(imageId) === made) this.templates.delete(imageId); });
    return made;
  }

  /** The template is made in tmp/, a sibling of disks/: the relative backing path is the same from both. */
  private async make(imageId: string): Promise<Buffer> {
    const file = this.layout.tmp("qcow2");
    try {
      await this.qemuImg.overlay(file, this.layout.backingPath(imageId));
      return await readFile(file);
    } finally {
      await rm(file, { force: true });
    }
  }
}
