import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP listener in front of nothing: it accepts connections and never answers, so a gRPC call through it waits
 * until its deadline. `connected` resolves with the first connection: the client is then inside its call.
 */
export interface BlackHole { address: string; connected(): Promise<void>; close(): Promise<void> }

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let arrived: () => void = () => undefined;
  const first = new Promise<void>((resolve) => { arrived = resolve; });
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => undefined).on("close", () => sockets.delete(sock));
    arrived();
  });
  const address = await listen(server);
  return {
    address,
    connected: () => first,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A byte-for-byte TCP relay to a real service that a test can break: `stallAfter` stops relaying once that many
 * bytes went one way (upstream: client to service), `cut()` drops every connection and refuses new ones, as a
 * service that died mid-stream.
 */
export interface Relay { address: string; stalled: Promise<void>; cut(): void; close(): Promise<void> }

export async function startRelay(target: string, stallAfter?: { bytes: number; upstream: boolean }): Promise<Relay> {
  const [host, port] = splitAddress(target);
  const sockets = new Set<Socket>();
  let dead = false;
  let relayed = 0;
  let onStall: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => { onStall = resolve; });
  const pipe = (from: Socket, to: Socket, counted: boolean) => from.on("data", (data: Buffer) => {
    if (counted && stallAfter) {
      relayed += data.length;
      if (relayed >= stallAfter.bytes) { from.pause(); onStall(); return; }
    }
    to.write(data);
  });
  const server = createServer((client) => {
    if (dead) { client.destroy(); return; }
    const service = connect(port, host);
    for (const s of [client, service]) {
      sockets.add(s);
      s.on("error", () => undefined).on("close", () => { sockets.delete(s); client.destroy(); service.destroy(); });
    }
    pipe(client, service, stallAfter?.upstream === true);
    pipe(service, client, stallAfter?.upstream === false);
  });
  const address = await listen(server);
  const cut = () => {
    dead = true;
    for (const s of sockets) s.destroy();
  };
  return { address, stalled, cut, close: async () => { cut(); await new Promise<void>((resolve) => server.close(() => resolve())); } };
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const a = server.address();
  if (!a || typeof a === "string") throw new Error("no TCP address");
  return `127.0.0.1:${a.port}`;
}
