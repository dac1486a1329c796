import { mkdir, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { FailedPreconditionError } from "@bmi/errors";

const SOCKET = "image-service.sock";

/**
 * Claims a data directory for this process alone, for as long as it runs: a Unix socket in it that this process
 * listens on (the kernel drops it with the process, so a crash leaves nothing that blocks the next start). A second
 * image-service on the same directory finds the socket answering and is refused: the local driver's qcow2 files
 * and FUSE exports belong to one process, and every driver empties its temporaries there at start-up.
 */
export async function claimDataDir(dir: string): Promise<{ release(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, SOCKET);
  const server = net.createServer((conn) => conn.end(`${process.pid}\n`));
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(file, () => { server.off("error", reject); resolve(); });
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0) throw err;
      const other = await answering(file);
      if (other !== undefined) {
        throw new FailedPreconditionError(`another image-service (pid ${other || "unknown"}) is using ${dir}: one instance per data ` +
          "directory (BMI_IMAGE_DATA_DIR); the local driver runs one instance per store, and several instances need the ceph " +
          "driver, each with a data directory of its own");
      }
      await rm(file, { force: true }); // left by a process that is gone
    }
  }
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The pid the socket's owner answers (or "" if it answers without one); undefined when nobody listens. */
function answering(file: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const conn = net.connect(file);
    let text = "";
    conn.setEncoding("utf8");
    conn.on("data", (d: string) => { text += d; });
    conn.on("end", () => resolve(text.trim()));
    conn.on("error", () => resolve(undefined));
    conn.setTimeout(2000, () => { conn.destroy(); resolve(""); });
  });
}
