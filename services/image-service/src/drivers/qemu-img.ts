import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError, UnavailableError } from "@bmi/errors";
import { CommandError, run } from "./exec";
import { timed } from "@bmi/metrics";
import { backendSeconds } from "./backend-metrics";

/** What one qemu-img run on a caller's image may take. */
export interface QemuImgLimits {
  /** Address space in bytes (RLIMIT_AS). */
  memoryBytes: number;
  /** Wall-clock and CPU seconds for a conversion; an inspection gets INFO_SECONDS at most. */
  seconds: number;
}

export const DEFAULT_QEMU_IMG_LIMITS: QemuImgLimits = { memoryBytes: 1 << 30, seconds: 3600 };

// qemu-img info reads a header and the tables it points at: a second is plenty, even on a loaded host.
const INFO_SECONDS = 30;

/**
 * qemu-img on images callers supplied, once the library's own header check (image-header.ts) has passed them:
 * the format is always forced (never probed), and every run is under prlimit (address space, CPU, no core file)
 * and a timeout. `convert` opens whatever backing or data file the header names, so `info` must first agree that
 * there is none.
 */
export class QemuImg {
  constructor(private readonly limits: QemuImgLimits = DEFAULT_QEMU_IMG_LIMITS) {}

  /** `src` (a qcow2 file in this service's temporary directory) converted to the raw file `dst`. */
  async qcow2ToRaw(src: string, dst: string, virtualSize: number): Promise<void> {
    const info = await this.run(src, ["info", "--output=json", "-U", "-f", "qcow2", src], Math.min(INFO_SECONDS, this.limits.seconds));
    checkInfo(info, virtualSize);
    await this.run(src, ["convert", "-f", "qcow2", "-O", "raw", src, dst], this.limits.seconds);
  }

  /** A raw copy of raw file `src` (`shared`: the file may be open elsewhere, e.g. a disk the daemon serves). */
  async copyRaw(src: string, dst: string, opts: { shared?: boolean } = {}): Promise<void> {
    await this.trusted(["convert", ...(opts.shared ? ["-U"] : []), "-f", "raw", "-O", "raw", src, dst]);
  }

  /** An empty qcow2 overlay `file` on the raw image `backing` (a path relative to `file`'s directory). */
  async overlay(file: string, backing: string): Promise<void> {
    await this.trusted(["create", "-q", "-f", "qcow2", "-b", backing, "-F", "raw", file]);
  }

  /** qemu-img on this service's own files: no limits needed. */
  private async trusted(args: string[]): Promise<void> {
    try {
      await timed(backendSeconds, { backend: "qemu-img", op: args[0] ?? "" }, () => run("qemu-img", args));
    } catch (err) {
      throw translateQemuImgError(err, args[0] ?? "");
    }
  }

  private async run(src: string, args: string[], seconds: number): Promise<string> {
    const limits = [`--as=${this.limits.memoryBytes}`, `--cpu=${seconds}`, "--core=0"];
    try {
      return await timed(backendSeconds, { backend: "qemu-img", op: args[0] ?? "" },
        () => run("prlimit", [...limits, "--", "qemu-img", ...args], { timeoutMs: seconds * 1000 }));
    } catch (err) {
      if (err instanceof CommandError && err.code === null) {
        throw new ResourceExhaustedError(`qemu-img ${args[0]} of the image exceeded its limits (${seconds} s, ${this.limits.memoryBytes >> 20} MiB)`);
      }
      // A failed read is the image's fault.
      if (err instanceof CommandError && (args[0] === "info" || /error while reading/.test(err.stderr))) {
        throw new InvalidArgumentError(`qcow2 image unreadable: ${err.stderr.trim().split("\n")[0]?.replaceAll(src, "image")}`);
      }
      throw translateQemuImgError(err, args[0] ?? "");
    }
  }
}

/**
 * qemu-img's failures as domain errors, the qemu-img translator: the store full (RESOURCE_EXHAUSTED), a file
 * locked by another process (UNAVAILABLE: it may be free on the next try), anything else qemu-img refused
 * (FAILED_PRECONDITION with its reason). File paths are cut to their names: callers need not see the layout.
 */
export function translateQemuImgError(err: unknown, op: string): unknown {
  if (!(err instanceof CommandError)) return translateFileError(err, `qemu-img ${op}`);
  const reason = (err.stderr.trim().split("\n")[0] ?? "").replace(/\/\S*\/([^/\s':]+)/g, "$1") || `exit ${String(err.code)}`;
  if (/No space left on device|Disk quota exceeded/i.test(err.stderr)) return new ResourceExhaustedError(`qemu-img ${op}: the image store is full (${reason})`, { cause: err });
  if (/Failed to get .*lock|another process using the image/i.test(err.stderr)) return new UnavailableError(`qemu-img ${op}: the file is busy (${reason})`, { cause: err });
  return new FailedPreconditionError(`qemu-img ${op} failed: ${reason}`, { cause: err });
}

/** This service's own file writes: a full file system is RESOURCE_EXHAUSTED; anything else is returned as it is. */
export function translateFileError(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return new ResourceExhaustedError(`${what}: the image store is full`, { cause: err });
  return err;
}

interface QemuImgInfo {
  format?: string;
  "virtual-size"?: number;
  "backing-filename"?: string;
  "full-backing-filename"?: string;
  encrypted?: boolean;
  "format-specific"?: { data?: { "data-file"?: string } };
}

/** A second opinion on the header check, from the code that will do the conversion. */
function checkInfo(text: string, virtualSize: number): void {
  const refuse = (why: string): never => { throw new InvalidArgumentError(`qcow2 image refused: ${why}`); };
  let info: QemuImgInfo = {};
  try {
    info = JSON.parse(text) as QemuImgInfo;
  } catch {
    refuse("qemu-img info answered no JSON");
  }
  if (info.format !== "qcow2") refuse(`qemu-img reads it as ${String(info.format)}`);
  if (info["backing-filename"] !== undefined || info["full-backing-filename"] !== undefined) refuse("it names a backing file");
  if (info["format-specific"]?.data?.["data-file"] !== undefined) refuse("it names an external data file");
  if (info.encrypted === true) refuse("it is encrypted");
  const size = info["virtual-size"];
  if (typeof size !== "number" || size > virtualSize) refuse(`qemu-img reads virtual size ${String(size)}, its header says ${virtualSize}`);
}
