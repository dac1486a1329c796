import { randomBytes } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { open, rename, stat, type FileHandle } from "node:fs/promises";
import { CliError, EXIT } from "./exit-codes";

// Errors that mean the path the user gave is wrong (exit 2); anything else (disk full, I/O error) failed the run (1).
const BAD_PATH = new Set(["ENOENT", "ENOTDIR", "EISDIR", "EACCES", "EPERM", "EROFS", "ENAMETOOLONG", "ELOOP"]);

/** Thrown when a local file named on the command line cannot be read or written; names that path, not a temporary. */
export class LocalFileError extends CliError {
  constructor(verb: "read" | "write", file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code ?? "";
    super("LOCAL_FILE", BAD_PATH.has(code) ? EXIT.USAGE : EXIT.FAILED, `cannot ${verb} ${file}: ${reason(verb, code, cause)}`, { cause });
  }
}

function reason(verb: string, code: string, cause: unknown): string {
  if (code === "ENOENT") return verb === "write" ? "no such directory" : "no such file";
  if (code === "EISDIR") return "is a directory";
  // "EACCES: permission denied, open '/x/y'" -> "permission denied"
  const message = cause instanceof Error ? cause.message : String(cause);
  return /^[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message.split("\n")[0]!;
}

// stat() says so before open() or rename() would fail with a less direct message.
const isADirectory = () => Object.assign(new Error("is a directory"), { code: "EISDIR" });

/** Runs `fn`, turning a file system error into a LocalFileError about `file`. */
export async function onFile<T>(verb: "read" | "write", file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code ? new LocalFileError(verb, file, err) : err;
  }
}

/** The size of a regular file to read; a LocalFileError when it is missing, unreadable or a directory. */
export async function readableSize(file: string): Promise<number> {
  return onFile("read", file, async () => {
    const s = await stat(file);
    if (s.isDirectory()) throw isADirectory();
    const handle = await open(file, "r");
    await handle.close();
    return s.size;
  });
}

/** The file's bytes in chunks of `size`; read errors become LocalFileErrors. */
export async function* fileChunks(file: string, size: number): AsyncGenerator<Buffer> {
  const it = (createReadStream(file, { highWaterMark: size }) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = await onFile("read", file, () => it.next());
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

/**
 * Where a download goes until it is complete: FILE.bmi-download-XXXXXX beside FILE (same file system, so the
 * final rename is atomic), created exclusively, and removed on failure, on Ctrl-C and at any exit before commit().
 */
export class PartialFile {
  private readonly remove = () => rmSync(this.path, { force: true });

  private constructor(readonly target: string, readonly path: string, private readonly handle: FileHandle) {
    process.once("exit", this.remove);
  }

  static async create(target: string): Promise<PartialFile> {
    const path = `${target}.bmi-download-${randomBytes(3).toString("hex")}`;
    return onFile("write", target, async () => {
      if ((await stat(target).catch(() => undefined))?.isDirectory()) throw isADirectory();
      return new PartialFile(target, path, await open(path, "wx"));
    });
  }

  async write(chunk: Uint8Array): Promise<void> {
    await onFile("write", this.target, () => this.handle.write(chunk));
  }

  /** Closes the file and renames it to the target (replacing a file that was there). */
  async commit(): Promise<void> {
    await onFile("write", this.target, async () => {
      await this.handle.close();
      await rename(this.path, this.target);
    });
    process.off("exit", this.remove);
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    this.remove();
    process.off("exit", this.remove);
  }
}
