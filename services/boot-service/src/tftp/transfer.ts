import dgram from "node:dgram";
import { ackBlock, dataPacket, errorPacket, oackPacket, OP, ERR } from "./packets";

export interface TransferOptions {
  data: Buffer;
  client: { address: string; port: number; family: string };
  /** Options the client asked for (RFC 2347); those we accept are echoed in an OACK. */
  requested: Map<string, string>;
  maxBlksize: number;
  timeoutMs: number;
  retries: number;
}

/**
 * Sends one file lock-step from a fresh port (the transfer's TID): DATA n, wait for ACK n, retransmit on
 * timeout, give up after `retries`. Duplicate ACKs are ignored rather than answered, so a delayed ACK never
 * doubles the traffic (the "Sorcerer's Apprentice" bug). Resolves with the bytes sent.
 */
export async function sendFile(o: TransferOptions): Promise<number> {
  const { accepted, blksize, timeoutMs } = negotiate(o);
  const sock = dgram.createSocket(o.client.family === "IPv6" ? "udp6" : "udp4");
  const inbox: Buffer[] = [];
  let wake: (() => void) | undefined;
  sock.on("message", (msg, rinfo) => {
    if (rinfo.port !== o.client.port || rinfo.address !== o.client.address) {
      sock.send(errorPacket(ERR.UNKNOWN_TID, "unknown transfer ID"), rinfo.port, rinfo.address);
      return;
    }
    inbox.push(msg);
    wake?.();
  });
  await new Promise<void>((resolve, reject) => { sock.once("error", reject); sock.bind(0, () => resolve()); });
  const send = (b: Buffer) => new Promise<void>((resolve, reject) =>
    sock.send(b, o.client.port, o.client.address, (err) => (err ? reject(err) : resolve())));
  // Waits for an ACK of `block` (mod 2^16); resends `packet` on each timeout.
  const exchange = async (packet: Buffer, block: number) => {
    for (let attempt = 0; attempt <= o.retries; attempt++) {
      await send(packet);
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const msg = inbox.shift() ?? (await next(until));
        if (!msg) break;
        if (msg.length >= 2 && msg.readUInt16BE(0) === OP.ERROR) throw new Error(`client aborted: ${msg.subarray(4).toString("latin1").replace(/\0.*$/, "")}`);
        if (ackBlock(msg) === (block & 0xffff)) return;
      }
    }
    throw new Error(`no ACK for block ${block} after ${o.retries + 1} tries`);
  };
  const next = (until: number) => new Promise<Buffer | undefined>((resolve) => {
    const t = setTimeout(() => { wake = undefined; resolve(undefined); }, until - Date.now());
    wake = () => { clearTimeout(t); wake = undefined; resolve(inbox.shift()); };
  });

  try {
    if (accepted.size > 0) await exchange(oackPacket(accepted), 0);
    let block = 1;
    for (let off = 0; ; off += blksize, block++) {
      const payload = o.data.subarray(off, off + blksize);
      await exchange(dataPacket(block, payload), block);
      // The final block is the first shorter than blksize (possibly empty).
      if (payload.length < blksize) return o.data.length;
    }
  } finally {
    sock.close();
  }
}

/** RFC 2348 blksize (capped), RFC 2349 tsize and timeout; anything else is left out of the OACK. */
function negotiate(o: TransferOptions): { accepted: Map<string, string>; blksize: number; timeoutMs: number } {
  const accepted = new Map<string, string>();
  let blksize = 512;
  let timeoutMs = o.timeoutMs;
  const b = Number(o.requested.get("blksize"));
  if (Number.isInteger(b) && b >= 8 && b <= 65464) {
    blksize = Math.min(b, o.maxBlksize);
    accepted.set("blksize", String(blksize));
  }
  if (o.requested.get("tsize") === "0") accepted.set("tsize", String(o.data.length));
  const t = Number(o.requested.get("timeout"));
  if (Number.isInteger(t) && t >= 1 && t <= 255) {
    timeoutMs = t * 1000;
    accepted.set("timeout", String(t));
  }
  return { accepted, blksize, timeoutMs };
}
