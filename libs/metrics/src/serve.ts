import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { registry } from "./registry";

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics in Prometheus' text format on `listen` (host:port). A port of its own, not the gRPC one:
 * Prometheus scrapes plain HTTP, and the gRPC port speaks mutual TLS only.
 */
export async function serveMetrics(listen: string): Promise<MetricsEndpoint> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new Error(`metrics listen address ${listen} is not host:port`);
  const host = m[1]!.replace(/^\[|\]$/g, "");
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404).end("not found: GET /metrics\n");
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(`${(err as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(m[2]), host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
