import { createClient, type CallOpts, type PromiseClient } from "@bmi/grpc";
import { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { NotFoundError } from "@bmi/errors";

/** The four services the orchestrator drives. */
export interface ServiceClients {
  image: PromiseClient<ImageServiceClient>;
  target: PromiseClient<TargetServiceClient>;
  boot: PromiseClient<BootServiceClient>;
  haas: PromiseClient<HaasGatewayClient>;
  close(): void;
}

export interface ServiceAddresses {
  image: string;
  target: string;
  boot: string;
  haas: string;
}

export function connectServices(addr: ServiceAddresses, deadlineMs: number): ServiceClients {
  const image = createClient(ImageServiceClient, addr.image, { deadlineMs, name: "image-service" });
  const target = createClient(TargetServiceClient, addr.target, { deadlineMs, name: "target-service" });
  const boot = createClient(BootServiceClient, addr.boot, { deadlineMs, name: "boot-service" });
  const haas = createClient(HaasGatewayClient, addr.haas, { deadlineMs, name: "haas-gateway" });
  return { image, target, boot, haas, close: () => [image, target, boot, haas].forEach((c) => c.close()) };
}

/** Removal steps are idempotent: what is already gone counts as removed. */
export async function gone(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/** For `.catch`: NOT_FOUND becomes `value`, anything else is thrown on. */
export function notFoundAs<T>(value: T): (err: unknown) => T {
  return (err) => {
    if (err instanceof NotFoundError) return value;
    throw err;
  };
}

export type { CallOpts };
