import { createClient, type CallOpts, type PromiseClient, type TlsFiles } from "@bmi/grpc";
import { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { TargetServiceClient, type CreateTargetRequest, type CreateTargetResponse } from "@bmi/proto/bmi/target/v1/target";
import { NotFoundError } from "@bmi/errors";

/** The four services the orchestrator drives. */
export interface ServiceClients {
  image: PromiseClient<ImageServiceClient>;
  /** With `placing.hosts`: how many target hosts export an RBD-backed disk (the job's, not this instance's setting). */
  target: PromiseClient<TargetServiceClient> & {
    createTarget(req: CreateTargetRequest, opts?: CallOpts, placing?: { hosts?: number }): Promise<CreateTargetResponse>;
  };
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

/** Clients of the four services; with `tls`, the orchestrator's certificate is its identity to them. */
export function connectServices(addr: ServiceAddresses, deadlineMs: number, tls: TlsFiles | undefined): ServiceClients {
  const o = { deadlineMs, ...(tls ? { tls } : {}) };
  const image = createClient(ImageServiceClient, addr.image, { ...o, name: "image-service" });
  const target = createClient(TargetServiceClient, addr.target, { ...o, name: "target-service" });
  const boot = createClient(BootServiceClient, addr.boot, { ...o, name: "boot-service" });
  const haas = createClient(HaasGatewayClient, addr.haas, { ...o, name: "haas-gateway" });
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
