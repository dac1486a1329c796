import { readFile, writeFile } from "node:fs/promises";
import type { LocalLayout } from "./layout";
import type { QemuImg } from "../qemu-img";

const CACHED = 64;

/**
 * Makes empty qcow2 overlays on an image. `qemu-img create` is a process start (most of a disk's creation time);
 * its output for one image is always the same bytes (the backing path has a fixed length and names the image by
 * id, and qcow2 headers hold no time or random field), so the first overlay of an image is made by qemu-img and
 * the next ones are copies of it.
 */
export class OverlayMaker {
  private readonly templates = new Map<string, Buffer>();

  constructor(private readonly layout: LocalLayout, private readonly qemuImg: QemuImg) {}

  async create(file: string, imageId: string): Promise<void> {
    const template = this.templates.get(imageId);
    if (template) {
      await writeFile(file, template, { flag: "wx" });
      return;
    }
    await this.qemuImg.overlay(file, this.layout.backingPath(imageId));
    if (this.templates.size >= CACHED) this.templates.delete(this.templates.keys().next().value as string);
    this.templates.set(imageId, await readFile(file));
  }
}
