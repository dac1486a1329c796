import { connect, type Socket } from "node:net";

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
/**
 * A request with this tag after the LLD name's NUL (byte 8 + 32 of the header) asks tgtd to keep the connection open
 * for the client's next request: what deploy/tgt/tgtd-control.patch adds to tgtd. A stock tgtd reads the name up to
 * its NUL, ignores the tag, and closes the connection after its answer as always.
 */
const KEEP_TAG = "bmi-keep";
const KEEP_AT = 8 + 32;

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

export function encode(req: IpcRequest, keep = false): Buffer {
  const params = req.params.length > 0 ? Buffer.from(`${req.params.join(",")}\0`) : Buffer.alloc(0);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(req.mode, 0);
  head.writeUInt32LE(req.op, 4);
  head.write("iscsi", 8, "latin1");
  if (keep) head.write(KEEP_TAG, KEEP_AT, "latin1");
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

/** tgtd's control socket for a control port. */
function socketPath(controlPort: number): string {
  return `/var/run/tgtd/socket.${controlPort}`;
}

/**
 * tgtd's text of an answer, or its refusal as a TgtdError: `all` holds the answer whole ({ err, len } and len - 8
 * bytes of text).
 */
function answerOf(all: Buffer, len: number): { err?: TgtdError; text: string } {
  const code = all.readUInt32LE(0);
  // The text is a C string: tgtadm prints it up to its NUL.
  const text = all.subarray(8, len);
  const end = text.indexOf(0);
  return { ...(code === 0 ? {} : { err: new TgtdError(code) }), text: text.subarray(0, end < 0 ? text.length : end).toString("utf8") };
}

/**
 * Sends one request on a connection of its own; answers tgtd's text. Socket errors (tgtd not running) reject with the
 * socket's error.
 */
export function request(controlPort: number, req: IpcRequest, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath(controlPort));
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
      const { err, text } = answerOf(chunks.length === 1 ? chunk : Buffer.concat(chunks, size), len);
      finish(err, text);
    });
    sock.on("close", () => finish(new Error("tgtd closed the control connection without an answer")));
    sock.write(encode(req));
  });
}

/**
 * tgtd's control socket for many requests. A stock tgtd answers one request per connection and closes it, so each
 * request costs a connect (socket, connect, and tgtd's accept, credential check and epoll set-up) beside its work:
 * five per target made. A tgtd with deploy/tgt/tgtd-control.patch keeps a connection whose requests carry the keep
 * tag, and answers them in order: then one connection carries every request, several in flight at once. Which
 * tgtd this is is found by a probe (a portal listing on a new connection, then another on the same one once the
 * first is answered: a stock tgtd closes the connection after the first and never reads the second), again after
 * every loss of the connection (tgtd restarted, maybe another build). A request sent on a kept connection that closes
 * before its answer is rejected like one whose own connection closed: tgtd not answering, UNAVAILABLE to the caller.
 */
export class TgtdChannel {
  /** undefined: not known (no probe since the last connection was lost); false: one request per connection. */
  private keeps: boolean | undefined;
  private kept: KeptConnection | undefined;
  private probing: Promise<void> | undefined;

  constructor(private readonly controlPort: number, private readonly timeoutMs: number) {}

  async request(req: IpcRequest): Promise<string> {
    if (this.keeps === undefined) await (this.probing ??= this.probe().finally(() => { this.probing = undefined; }));
    const kept = this.keeps ? this.connection() : undefined;
    return kept ? kept.send(req) : request(this.controlPort, req, this.timeoutMs);
  }

  /** Closes the kept connection (a request in flight on it is rejected). */
  close(): void {
    this.kept?.fail(new Error("the tgtd control channel was closed"));
    this.kept = undefined;
  }

  private connection(): KeptConnection | undefined {
    if (this.kept && !this.kept.closed) return this.kept;
    // Lost: tgtd may be another build now; the next request probes again, this one goes on a connection of its own.
    this.kept = undefined;
    this.keeps = undefined;
    return undefined;
  }

  private async probe(): Promise<void> {
    const conn = new KeptConnection(socketPath(this.controlPort), this.timeoutMs);
    const listing: IpcRequest = { mode: 3, op: 2, tid: -1, lun: -1, force: false, outgoing: false, params: [] }; // portal show
    await conn.send(listing); // tgtd not running: the socket's error, as for any request
    // Sent once the first is answered: a stock tgtd has closed the connection or is closing it, never reading this.
    const kept = await conn.send(listing).then(() => true, () => false);
    if (kept && !conn.closed) {
      this.kept = conn;
      this.keeps = true;
    } else {
      conn.fail(new Error("probe done"));
      this.keeps = false;
    }
  }
}

interface Waiter {
  resolve: (text: string) => void;
  reject: (err: Error) => void;
}

/** One connection to tgtd whose requests carry the keep tag, answered in the order they were sent. */
class KeptConnection {
  closed = false;
  private readonly sock: Socket;
  private readonly waiting: Waiter[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  /** The length of the answer at the head of what came in, once its first 8 bytes are in. */
  private len = -1;
  /** One timer for the oldest request: tgtd answers in order, so a later answer cannot come first. */
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string, private readonly timeoutMs: number) {
    this.sock = connect(path);
    this.sock.on("data", (chunk) => this.received(chunk));
    this.sock.on("error", (err) => this.fail(err));
    this.sock.on("close", () => this.fail(new Error("tgtd closed the control connection without an answer")));
  }

  send(req: IpcRequest): Promise<string> {
    if (this.closed) return Promise.reject(new Error("tgtd closed the control connection without an answer"));
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) {
        this.sock.ref();
        this.arm();
      }
      this.waiting.push({ resolve, reject });
      this.sock.write(encode(req, true));
    });
  }

  fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.sock.destroy();
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(new Error(`no answer from tgtd within ${this.timeoutMs} ms`)), this.timeoutMs);
  }

  private received(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size >= 8) {
      if (this.len < 0) {
        // Joined once, when the head is in: a listing of every target (1.1 MB at 1,000) comes in many chunks.
        if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
        this.len = (this.chunks[0] as Buffer).readUInt32LE(4);
        if (this.len < 8) return this.fail(new Error(`tgtd answered a length of ${this.len}`));
      }
      if (this.size < this.len) return;
      const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
      const { err, text } = answerOf(all, this.len);
      const rest = all.subarray(this.len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.len = -1;
      const w = this.waiting.shift();
      if (!w) return this.fail(new Error("tgtd answered a request nobody sent"));
      if (this.waiting.length > 0) this.arm();
      else {
        clearTimeout(this.timer);
        // Idle: the connection alone keeps no process alive.
        this.sock.unref();
      }
      if (err) w.reject(err);
      else w.resolve(text);
    }
  }
}
