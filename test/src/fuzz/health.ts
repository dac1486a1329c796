import type * as grpc from "@grpc/grpc-js";
import * as protobuf from "protobufjs";

// grpc.health.v1: HealthCheckRequest { string service = 1; } -> HealthCheckResponse { ServingStatus status = 1; }
const Request = new protobuf.Type("HealthCheckRequest").add(new protobuf.Field("service", 1, "string"));
const Response = new protobuf.Type("HealthCheckResponse").add(new protobuf.Field("status", 1, "int32"));
const STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** The serving status of `service`, asked over `client`'s own channel (so with whatever credentials it carries). */
export function servingStatus(client: grpc.Client, service: string, metadata: grpc.Metadata, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    client.makeUnaryRequest("/grpc.health.v1.Health/Check",
      (m: object) => Buffer.from(Request.encode(m).finish()),
      (b: Buffer) => Response.decode(b) as unknown as { status: number },
      { service }, metadata, { deadline: Date.now() + timeoutMs },
      (err, res) => resolve(err ? `error: ${err.message}` : STATUS[res?.status ?? 0] ?? `status ${res?.status}`));
  });
}
