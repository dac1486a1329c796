import { constants, openSync, closeSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { run } from "./harness";

/** Something a malicious image names (a host file, a socket, a URL) that records whether anyone reached it. */
export interface Tripwire {
  /** What an image would name to reach it. */
  readonly target: string;
  /** True once anything opened or connected to it. */
  tripped(): boolean;
  close(): Promise<void>;
}

/**
 * A FIFO standing in for a host file. Its writer end is held open in the background, which blocks until some
 * process opens the FIFO for reading: qemu following a backing or data file to it completes that open, so the
 * tripwire sees every open, not only reads that change an access time.
 */
export async function fifoTripwire(dir: string, name = "host-file"): Promise<Tripwire> {
  const fifo = path.join(dir, name);
  await run("mkfifo", [fifo]);
  let opened = false;
  let closing = false;
  const writer: Promise<FileHandle> = open(fifo, "w").then((fh) => {
    if (!closing) opened = true;
    return fh;
  });
  return {
    target: fifo,
    tripped: () => opened,
    async close() {
      closing = true;
      // Our own reader releases the blocked writer (and the libuv thread it holds); a nonblocking open never waits.
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await (await writer).close();
      closeSync(reader);
    },
  };
}

/** A listener (a Unix socket path, or TCP on 127.0.0.1 when `socketPath` is undefined) that counts connections. */
export async function socketTripwire(socketPath?: string): Promise<Tripwire & { port: number }> {
  let connections = 0;
  const server = net.createServer((c) => { connections++; c.destroy(); });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (socketPath) server.listen(socketPath, resolve);
    else server.listen(0, "127.0.0.1", resolve);
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    target: socketPath ?? `127.0.0.1:${port}`,
    port,
    tripped: () => connections > 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
