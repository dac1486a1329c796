import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

/**
 * Every process a test starts dies with the test process, also when that process is killed and its after() hooks
 * never run (the test runner's timeout SIGTERMs a test file; Ctrl-C; SIGKILL). Two parts, used together by every
 * launcher of this package:
 *
 * - What a test starts itself runs under `setpriv --pdeathsig KILL` (`guarded`): the kernel SIGKILLs it the moment
 *   the test process dies.
 * - What those processes start in turn may not be their children for long: target-service starts tgtd detached (a
 *   session of its own, so that in production tgtd outlives the service), image-service's kept storage daemons and
 *   Ceph's daemons fork away. Every process started after `dieWithTest()` carries the test process's mark in its
 *   environment (`BMI_TEST_OWNER`, inherited by whatever it starts unless that clears its environment), and a
 *   reaper, a shell of its own session holding a pipe from the test process, SIGKILLs every process with that mark
 *   once the pipe closes: when the test process exits or dies. Services run as they do in production; only their
 *   environment is marked.
 */
export const TEST_OWNER_VAR = "BMI_TEST_OWNER";

// $0 is the mark. `read` returns at EOF: this process exited or died. Then every process whose environment holds
// the mark is SIGKILLed, again until none is left (one may have been forking meanwhile).
const REAPER = `
read -r _ || :
i=0
while [ "$i" -lt 20 ]; do
  pids=$(grep -lsxzF -- "${TEST_OWNER_VAR}=$0" /proc/[0-9]*/environ | cut -d/ -f3)
  [ -n "$pids" ] || exit 0
  kill -KILL $pids 2>/dev/null
  sleep 0.1
  i=$((i + 1))
done`;

let mark: string | undefined;

/**
 * Marks every process this process starts from now on, and starts the reaper that kills them all when this process
 * goes (once per process; later calls answer the same mark). Answers the mark.
 */
export function dieWithTest(): string {
  if (mark !== undefined) return mark;
  const m = `${process.pid}-${randomBytes(6).toString("hex")}`;
  // The reaper itself carries no mark (nor a mark this process inherited from a test process that started it).
  const env = { ...process.env };
  delete env[TEST_OWNER_VAR];
  const reaper = spawn("sh", ["-c", REAPER, m], { detached: true, stdio: ["pipe", "ignore", "ignore"], env });
  reaper.once("error", (err) => process.stderr.write(`die-with-test: the reaper did not start: ${err.message}\n`));
  // Neither the reaper nor its pipe keeps this process alive; the pipe is never written, only closed.
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  process.env[TEST_OWNER_VAR] = m;
  mark = m;
  return m;
}

/** `cmd args` as a test starts it: through setpriv, which SIGKILLs it when this process dies; and marked (dieWithTest). */
export function guarded(cmd: string, args: string[]): [string, string[]] {
  dieWithTest();
  return ["setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args]];
}

/** PIDs of the live processes carrying `mark` in their environment (tests of this mechanism). */
export function processesMarked(mark: string): number[] {
  const want = `${TEST_OWNER_VAR}=${mark}`;
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(want)) out.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}
