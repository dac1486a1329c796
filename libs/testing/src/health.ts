import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

const HealthClient = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, "Health");

/**
 * The serving status of `service` ("" = the whole server) at `address`, through grpc.health.v1.Health/Check; over
 * TLS trusting `ca` (a PEM file) when given.
 */
export function checkHealth(address: string, service = "", timeoutMs = 2000, ca?: string): Promise<string> {
  const creds = ca ? grpc.credentials.createSsl(readFileSync(ca)) : grpc.credentials.createInsecure();
  // Health is asked on this host: BMI certificates name localhost, and an IP as TLS server name draws a warning.
  const local = ca && /^(127\.0\.0\.1|\[::1\]|localhost):/.test(address) ? { "grpc.ssl_target_name_override": "localhost" } : {};
  const client = new HealthClient(address, creds, local);
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (x: { service: string }) => Buffer.from(encodeCheck(x.service)),
      (b: Buffer) => decodeStatus(b),
      { service },
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res as string);
      },
    );
  });
}

/** Polls until `address` answers SERVING, or throws after `timeoutMs`. */
export async function waitServing(
  address: string, timeoutMs = 20_000, isAlive: () => boolean = () => true, ca?: string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    if (!isAlive()) throw new Error(`${address}: the process exited before serving`);
    try {
      last = await checkHealth(address, "", 1000, ca);
      if (last === "SERVING") return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${address} not SERVING after ${timeoutMs} ms (last: ${last})`);
}

// HealthCheckRequest { string service = 1; } / HealthCheckResponse { ServingStatus status = 1; }
function encodeCheck(service: string): Uint8Array {
  const s = Buffer.from(service);
  return s.length === 0 ? new Uint8Array() : Buffer.concat([Buffer.from([0x0a, s.length]), s]);
}
function decodeStatus(b: Buffer): string {
  const v = b.length >= 2 && b[0] === 0x08 ? b[1] : 0;
  return ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"][v ?? 0] ?? "UNKNOWN";
}
