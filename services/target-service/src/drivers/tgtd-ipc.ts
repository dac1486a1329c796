import { connect } from "node:net";

/**
 * tgtd's management protocol, spoken directly on its control socket (/var/run/tgtd/socket.<port>): what tgtadm
 * does, without starting a process per request (a fork of this service plus an exec, 5-40 ms each under load,
 * against tgtd's ~1 ms of work). Layout of tgt 1.0.x (usr/tgtadm.h), read off tgtadm's own requests: a 120-byte
 * header, then "key=value,key=value\0"; tgtd answers { err: u32, len: u32 (with these 8 bytes) } and len - 8
 * bytes of text (what tgtadm prints), then closes.
 */
export interface IpcRequest {
  mode: number;
  op: number;
  tid: number;
  lun: number;
  force: boolean;
  /** An account bind/unbind of the target's own (outgoing) account: tgtd's ac_dir. */
  outgoing: boolean;
  params: string[];
}

const MODES: Record<string, number> = { target: 1, logicalunit: 2, portal: 3, conn: 6, account: 7 };
const OPS: Record<string, number> = { new: 0, delete: 1, show: 2, bind: 3, unbind: 4, update: 5 };
// tgtadm's option -> tgtd's parameter key, for the options this driver uses.
const PARAMS: Record<string, string> = {
  "--targetname": "targetname", "--backing-store": "path", "--bstype": "bstype", "--bsopts": "bsopts",
  "--initiator-name": "initiator-name", "--initiator-address": "initiator-address", "--user": "user", "--password": "password",
};
/** tgtadm's wording of tgtd's error codes (usr/tgtadm_error.h), so messages read the same either way. */
const ERRORS = [
  "", "unknown error", "out of memory", "can't find the driver", "can't find the target", "can't find the logical unit",
  "can't find the session", "can't find the connection", "can't find the binding", "this target already exists",
  "this binding already exists", "this logical unit number already exists", "this access control rule already exists",
  "this access control rule does not exist", "this account already exists", "can't find the account",
  "too many accounts", "invalid request", "this target already has an outgoing account", "this target is still active",
  "this logical unit is still active", "this driver is busy", "this operation isn't supported", "unknown parameter",
  "this device has Prevent Removal set",
];
const HEADER = 120;

/** The request tgtadm would send for `args` (iSCSI), or undefined for options this client does not know. */
export function toRequest(args: string[]): IpcRequest | undefined {
  const req: IpcRequest = { mode: -1, op: -1, tid: -1, lun: -1, force: false, outgoing: false, params: [] };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] ?? "";
    if (flag === "--force") { req.force = true; continue; }
    if (flag === "--outgoing") { req.outgoing = true; continue; }
    const value = args[++i];
    if (value === undefined) return undefined;
    if (flag === "--mode") req.mode = MODES[value] ?? -1;
    else if (flag === "--op") req.op = OPS[value] ?? -1;
    else if (flag === "--tid") req.tid = Number(value);
    else if (flag === "--lun") req.lun = Number(value);
    else if (PARAMS[flag]) req.params.push(`${PARAMS[flag]}=${value}`);
    else if (flag === "--params") req.params.push(value); // key=value[,key=value] as tgtadm passes it on
    else return undefined;
  }
  return req.mode < 0 || req.op < 0 ? undefined : req;
}

export function encode(req: IpcRequest): Buffer {
  const params = req.params.length > 0 ? Buffer.from(`${req.params.join(",")}\0`) : Buffer.alloc(0);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(req.mode, 0);
  head.writeUInt32LE(req.op, 4);
  head.write("iscsi", 8, "latin1");
  head.writeUInt32LE(HEADER + params.length, 72);
  head.writeInt32LE(req.tid, 76);
  head.writeBigInt64LE(BigInt(req.lun), 88);
  head.writeUInt32LE(req.outgoing ? 1 : 0, 108);
  head.writeUInt32LE(req.force ? 1 : 0, 116);
  return Buffer.concat([head, params]);
}

/** Thrown for a request tgtd refused; `code` is tgtd's error number. */
export class TgtdError extends Error {
  constructor(readonly code: number) {
    super(ERRORS[code] ?? `tgtd error ${code}`);
  }
}

/** Sends one request; answers tgtd's text. Socket errors (tgtd not running) reject with the socket's error. */
export function request(controlPort: number, req: IpcRequest, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(`/var/run/tgtd/socket.${controlPort}`);
    const chunks: Buffer[] = [];
    let size = 0;
    // The answer's length, once its first 8 bytes are in: a listing of every target (1.1 MB at 1,000 targets) comes
    // in many chunks, and joining them all again at each one cost O(n^2) copying.
    let len = -1;
    const timer = setTimeout(() => sock.destroy(new Error(`no answer from tgtd within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, text?: string) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(text ?? "");
    };
    sock.on("error", (err) => finish(err));
    sock.on("data", (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < 8) return;
      if (len < 0) len = (chunks.length === 1 ? chunk : Buffer.concat(chunks)).readUInt32LE(4);
      if (size < len) return;
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      const code = all.readUInt32LE(0);
      // The text is a C string: tgtadm prints it up to its NUL.
      const text = all.subarray(8, len);
      const end = text.indexOf(0);
      finish(code === 0 ? undefined : new TgtdError(code), text.subarray(0, end < 0 ? text.length : end).toString("utf8"));
    });
    sock.on("close", () => finish(new Error("tgtd closed the control connection without an answer")));
    sock.write(encode(req));
  });
}
