import dgram from "node:dgram";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "@bmi/log";
import { errorPacket, ERR, OP, parseRequest } from "./packets";
import { sendFile } from "./transfer";

export interface TftpOptions {
  /** Directory whose regular files are served; nothing below it, nothing outside it. */
  root: string;
  log: Logger;
  /** Largest blksize granted: 1468 fills an Ethernet frame without IP fragmentation, which PXE ROMs mishandle. */
  maxBlksize?: number;
  timeoutMs?: number;
  retries?: number;
}

/**
 * A read-only TFTP server (RFC 1350 with the blksize, tsize and timeout options of RFCs 2347-2349) for the iPXE
 * builds PXE ROMs chain-load. Write requests are refused; only plain file names directly in `root` are served.
 */
export class TftpServer {
  private sock: dgram.Socket | undefined;
  private readonly transfers = new Set<Promise<unknown>>();

  constructor(private readonly o: TftpOptions) {}

  /** Binds host:port; answers the bound port (0 picks one). */
  async listen(address: string): Promise<number> {
    const i = address.lastIndexOf(":");
    const host = address.slice(0, i).replace(/^\[|\]$/g, "");
    const sock = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    sock.on("message", (msg, rinfo) => this.onRequest(msg, rinfo));
    await new Promise<void>((resolve, reject) => { sock.once("error", reject); sock.bind(Number(address.slice(i + 1)), host, () => resolve()); });
    sock.on("error", (err) => this.o.log.error({ err: err.message }, "tftp socket error"));
    this.sock = sock;
    return sock.address().port;
  }

  async close(): Promise<void> {
    this.sock?.close();
    this.sock = undefined;
    await Promise.allSettled(this.transfers);
  }

  private onRequest(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const parsed = parseRequest(msg);
    if (!parsed) return;
    const reply = (code: number, text: string) => this.sock?.send(errorPacket(code, text), rinfo.port, rinfo.address);
    if (parsed.op === OP.WRQ) return void reply(ERR.ACCESS_VIOLATION, "read-only server");
    if (parsed.op !== OP.RRQ) return void reply(ERR.ILLEGAL_OPERATION, "expected a read request");
    if (parsed.req.mode !== "octet") return void reply(ERR.NOT_DEFINED, "only octet mode is served");
    const t = this.serve(parsed.req.filename, parsed.req.options, rinfo)
      .catch((err: unknown) => this.o.log.warn({ client: rinfo.address, file: parsed.req.filename, err: String(err) }, "tftp transfer failed"));
    this.transfers.add(t);
    void t.finally(() => this.transfers.delete(t));
  }

  private async serve(filename: string, options: Map<string, string>, rinfo: dgram.RemoteInfo): Promise<void> {
    const name = filename.replace(/^\/+/, "");
    const file = path.join(this.o.root, name);
    const isFile = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/.test(name) && (await stat(file).then((s) => s.isFile(), () => false));
    if (!isFile) {
      this.sock?.send(errorPacket(ERR.FILE_NOT_FOUND, "file not found"), rinfo.port, rinfo.address);
      return;
    }
    const started = Date.now();
    const bytes = await sendFile({
      data: await readFile(file), client: rinfo, requested: options,
      maxBlksize: this.o.maxBlksize ?? 1468, timeoutMs: this.o.timeoutMs ?? 1000, retries: this.o.retries ?? 5,
    });
    this.o.log.info({ client: `${rinfo.address}:${rinfo.port}`, file: name, bytes, ms: Date.now() - started }, "tftp file sent");
  }
}
