import net from "node:net";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** A Redis key prefix unique to this test run, so concurrent tests and reruns never see each other's keys. */
export function uniquePrefix(tag: string): string {
  return `bmitest:${tag}:${process.pid}:${Date.now().toString(36)}:`;
}
