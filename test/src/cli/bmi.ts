import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import path from "node:path";
import { REPO_ROOT, testClientTls } from "@bmi/testing";

const BMI = path.join(REPO_ROOT, "services", "cli", "dist", "main.js");

export interface Run { code: number; stdout: string; stderr: string }

const running = new Set<ChildProcess>();

/**
 * Runs the real `bmi` binary with exactly `env` and the test CA (nothing of the test's own BMI_* leaks in). The exit code is the
 * shell's: 128 + N for a process killed by signal N. `whileRunning` gets the process, e.g. to send it Ctrl-C.
 */
export function bmi(env: Record<string, string>, args: string[], whileRunning?: (child: ChildProcess) => Promise<void>): Promise<Run> {
  // The stacks of the tests serve TLS with the test run's CA.
  const base = { PATH: process.env.PATH ?? "", BMI_CA: testClientTls().ca ?? "" };
  const child = spawn(process.execPath, [BMI, ...args], { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<Run>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr });
    });
  });
  if (!whileRunning) return exited;
  return whileRunning(child).then(() => exited, (err: unknown) => {
    child.kill("SIGKILL");
    throw err;
  });
}

/** Kills every `bmi` a failed test left running; call it from an after() hook. */
export function killStrays(): void {
  for (const child of running) child.kill("SIGKILL");
}
