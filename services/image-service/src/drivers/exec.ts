import { spawn } from "node:child_process";

/** Thrown when a helper command exits non-zero; the message carries its stderr. */
export class CommandError extends Error {
  constructor(readonly command: string, readonly code: number | null, readonly stderr: string) {
    super(`${command} failed (${code === null ? "killed" : `exit ${code}`}): ${stderr.trim().slice(0, 500)}`);
    this.name = "CommandError";
  }
}

/**
 * Runs `cmd args...` (an argument array, never a shell) and answers its stdout; it gets SIGKILL after `timeoutMs`.
 * The command also gets SIGKILL when this process dies (setpriv --pdeathsig), so a service killed in the middle of a
 * `qemu-img convert` leaves no writer behind that outlives the clean-up at the next start.
 */
export function run(cmd: string, args: string[], opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs, killSignal: "SIGKILL" as const } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new CommandError(cmd, code, Buffer.concat(err).toString("utf8")));
    });
  });
}
