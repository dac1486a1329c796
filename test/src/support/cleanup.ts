import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/**
 * SIGTERMs the processes recorded in *.pid files under `dir` whose command line names `dir` (PIDs get reused):
 * qemu-storage-daemons the local image driver left when a service died before stopping them.
 */
export async function stopDaemonsUnder(dir: string): Promise<void> {
  for (const file of await pidFiles(dir)) {
    const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
    const cmdline = pid > 0 ? await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "") : "";
    if (cmdline.includes(dir)) {
      try { process.kill(pid, "SIGTERM"); } catch { /* already gone */ }
    }
  }
}

async function pidFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith(".pid")).map((e) => path.join(e.parentPath ?? e.path, e.name));
}
