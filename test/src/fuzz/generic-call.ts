import * as grpc from "@grpc/grpc-js";

/** How one call ended: its status, or `streaming` when a response stream was still open when the fuzzer cancelled it. */
export interface CallOutcome {
  code: grpc.status | "streaming" | "no-status";
  details: string;
  ms: number;
}

export interface CallShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

export interface CallLimits {
  deadlineMs: number;
  /** A response stream still open after this long is cancelled: a Watch* streams until then, and that is no failure. */
  streamReadMs: number;
  /** ...or after this many messages. */
  streamReadMessages: number;
}

const identity = (b: Buffer) => b;

/**
 * One call with already encoded messages (the fuzzer's own protobuf encoding, so undeclared enum values and odd
 * numbers reach the server as sent), through any grpc-js client of the stack, hence over the stack's own channel
 * and credentials. A unary or server-streaming call sends the first message; a client stream sends them all.
 */
export function callOnce(client: grpc.Client, shape: CallShape, messages: Buffer[], metadata: grpc.Metadata,
  limits: CallLimits): Promise<CallOutcome> {
  const t0 = performance.now();
  const options = { deadline: Date.now() + limits.deadlineMs };
  return new Promise<CallOutcome>((resolve) => {
    let settled = false;
    const finish = (code: CallOutcome["code"], details: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      resolve({ code, details, ms: performance.now() - t0 });
    };
    // grpc-js always reports a status by the deadline; this only catches a client that never does.
    const watchdog = setTimeout(() => finish("no-status", "no status 2 s after the deadline"), limits.deadlineMs + 2000);
    const onStatus = (s: grpc.StatusObject) => finish(s.code, s.details);
    const reply = (err: grpc.ServiceError | null) => finish(err ? err.code : grpc.status.OK, err?.details ?? "");
    if (!shape.responseStream) {
      if (!shape.requestStream) {
        client.makeUnaryRequest(shape.path, identity, identity, messages[0]!, metadata, options, reply);
        return;
      }
      const call = client.makeClientStreamRequest(shape.path, identity, identity, metadata, options, reply);
      for (const m of messages) call.write(m);
      call.end();
      return;
    }
    const call = shape.requestStream
      ? client.makeBidiStreamRequest(shape.path, identity, identity, metadata, options)
      : client.makeServerStreamRequest(shape.path, identity, identity, messages[0]!, metadata, options);
    if (shape.requestStream) {
      const duplex = call as grpc.ClientDuplexStream<Buffer, Buffer>;
      for (const m of messages) duplex.write(m);
      duplex.end();
    }
    let received = 0;
    const stopReading = () => {
      if (settled) return;
      finish("streaming", `open after ${received} messages`);
      call.cancel();
    };
    const timer = setTimeout(stopReading, limits.streamReadMs);
    call.on("data", () => { if (++received >= limits.streamReadMessages) stopReading(); });
    call.on("error", () => { /* the status event reports it */ });
    call.on("status", (s: grpc.StatusObject) => { clearTimeout(timer); onStatus(s); });
  });
}
