import { createServer, type Server } from "node:net";
import { rm } from "node:fs/promises";

export interface FakeQmp {
  path: string;
  /** Commands received, in order (qmp_capabilities included). */
  commands: string[];
  /** Called for each command after it is answered. */
  onCommand: (command: string) => void;
  close(): Promise<void>;
}

/**
 * A QMP monitor socket that answers like an idle QEMU (greeting, capabilities, empty returns, "running" status):
 * a node whose power the haas-gateway's qemu driver can cycle, without a VM. Speaks the real wire protocol.
 */
export async function startFakeQmp(path: string): Promise<FakeQmp> {
  const fake: FakeQmp = { path, commands: [], onCommand: () => undefined, close: async () => undefined };
  const server: Server = createServer((sock) => {
    sock.setEncoding("utf8");
    sock.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } })}\n`);
    let buf = "";
    sock.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const req = JSON.parse(line) as { execute: string; id?: string };
        fake.commands.push(req.execute);
        const ret = req.execute === "query-status" ? { status: "running", running: true } : {};
        sock.write(`${JSON.stringify({ return: ret, ...(req.id !== undefined ? { id: req.id } : {}) })}\n`);
        fake.onCommand(req.execute);
      }
    });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, resolve));
  fake.close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(path, { force: true });
  };
  return fake;
}
