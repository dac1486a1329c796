import { closeSync, ftruncateSync, openSync, rmSync, writeSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { isZero } from "../../bytes";
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
  /** Each image's overlay, or the qemu-img run making it. */
  private readonly templates = new Map<string, Promise<Template>>();

  constructor(private readonly layout: LocalLayout, private readonly qemuImg: QemuImg) {}

  /**
   * A new overlay at `file` (EEXIST if there is one); a file it could not finish is removed. Written sparse: of the
   * template's 192 KiB only three 4 KiB pages are not zero (header, refcount table and block).
   */
  async create(file: string, imageId: string): Promise<void> {
    const template = await this.template(imageId);
    const fd = openSync(file, "wx");
    try {
      for (const [offset, bytes] of template.pieces) writeSync(fd, bytes, 0, bytes.length, offset);
      ftruncateSync(fd, template.size);
    } catch (err) {
      closeSync(fd);
      rmSync(file, { force: true });
      throw err;
    }
    closeSync(fd);
  }

  private template(imageId: string): Promise<Template> {
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
  private async make(imageId: string): Promise<Template> {
    const file = this.layout.tmp("qcow2");
    try {
      await this.qemuImg.overlay(file, this.layout.backingPath(imageId));
      return sparse(await readFile(file));
    } finally {
      await rm(file, { force: true });
    }
  }
}

/** An overlay's bytes as its size and the runs of 4 KiB pages that are not all zero, by offset. */
interface Template {
  size: number;
  pieces: Array<[number, Buffer]>;
}

const PAGE = 4096;

function sparse(bytes: Buffer): Template {
  const pieces: Array<[number, Buffer]> = [];
  let start = -1;
  for (let off = 0; off <= bytes.length; off += PAGE) {
    const data = off < bytes.length && !isZero(bytes.subarray(off, off + PAGE));
    if (data && start < 0) start = off;
    if (!data && start >= 0) {
      pieces.push([start, bytes.subarray(start, off)]);
      start = -1;
    }
  }
  return { size: bytes.length, pieces };
}
