import http from "node:http";
import type { Redis } from "@bmi/redis";
import { validateBootConfig, type BootConfig } from "../boot-config";

/** Test support (not a test): a valid UEFI boot config with two MACs and two portals, fields overridable. */
export function sample(over: Partial<BootConfig> = {}): BootConfig {
  return validateBootConfig({
    node: "n1", project: "p1", macs: ["52:54:00:00:00:01", "52-54-00-00-00-02"], initiatorIqn: "iqn.2026-01.org.example:n1",
    target: { iqn: "iqn.2026-01.org.example.bmi:p1.d1", portals: ["10.0.0.1:3260", "10.0.1.1:3261"], lun: 0 },
    chap: { user: "bmi-0123", secret: "abcdefABCDEF0123-_xy" }, firmware: "uefi", efiLoader: "", updated: "2026-01-01T00:00:00Z", ...over,
  });
}

/** GET from a chosen loopback address (Linux routes all of 127/8 to lo): another host, as the server sees it. */
export function getFrom(localAddress: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { localAddress }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => { body += d.toString(); });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

/** Closes a test's HTTP server and Redis connection, deleting the keys under its prefix. */
export async function closeHttpTest(server: { close(): Promise<void> }, redis: Redis, prefix: string): Promise<void> {
  await server.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
