/** TFTP packets (RFC 1350) and option negotiation (RFC 2347): what the read-only server sends and reads. */

export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

export const ERR = {
  NOT_DEFINED: 0, FILE_NOT_FOUND: 1, ACCESS_VIOLATION: 2, ILLEGAL_OPERATION: 4, UNKNOWN_TID: 5, OPTION_REFUSED: 8,
} as const;

export interface ReadRequest {
  filename: string;
  mode: string;
  /** Option names lowercased, values as sent. */
  options: Map<string, string>;
}

/** Parses an RRQ or WRQ: opcode, then NUL-terminated filename, mode and option name/value pairs. */
export function parseRequest(msg: Buffer): { op: number; req: ReadRequest } | undefined {
  if (msg.length < 4) return undefined;
  const op = msg.readUInt16BE(0);
  const fields = msg.subarray(2).toString("latin1").split("\0");
  // A well-formed request ends with NUL, so the last split field is empty.
  if (fields.pop() !== "" || fields.length < 2 || fields.length % 2 !== 0) return undefined;
  const [filename = "", mode = ""] = fields;
  const options = new Map<string, string>();
  for (let i = 2; i < fields.length; i += 2) options.set((fields[i] ?? "").toLowerCase(), fields[i + 1] ?? "");
  return { op, req: { filename, mode: mode.toLowerCase(), options } };
}

export function dataPacket(block: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(OP.DATA, 0);
  head.writeUInt16BE(block & 0xffff, 2);
  return Buffer.concat([head, payload]);
}

export function errorPacket(code: number, message: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(OP.ERROR, 0);
  head.writeUInt16BE(code, 2);
  return Buffer.concat([head, Buffer.from(`${message}\0`, "latin1")]);
}

export function oackPacket(options: Map<string, string>): Buffer {
  const parts = [...options].flatMap(([k, v]) => [k, v]);
  return Buffer.concat([Buffer.from([0, OP.OACK]), Buffer.from(`${parts.join("\0")}\0`, "latin1")]);
}

/** The block an ACK acknowledges, or undefined for anything else. */
export function ackBlock(msg: Buffer): number | undefined {
  return msg.length >= 4 && msg.readUInt16BE(0) === OP.ACK ? msg.readUInt16BE(2) : undefined;
}
