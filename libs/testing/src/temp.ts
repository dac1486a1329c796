import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const dirs: string[] = [];
let hooked = false;

/**
 * A fresh directory under the system's temp dir, removed when the test process exits (each test file runs in its
 * own process), so reruns on the same machine do not pile up disks and images.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const d of dirs) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // a mount still busy: leave it rather than fail the run
        }
      }
    });
  }
  return dir;
}
