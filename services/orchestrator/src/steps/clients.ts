import { createClient, withBatching, type BatchingOptions, type CallOpts, type PromiseClient, type TlsFiles } from "@bmi/grpc";
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

/**
 * Clients of the four services; with `tls`, the orchestrator's certificate is its identity to them. The methods a
 * bulk job calls for every node go out batched under load (`batch`: see @bmi/grpc's batching; maxInFlight 0: never).
 */
export function connectServices(addr: ServiceAddresses, deadlineMs: number, tls: TlsFiles | undefined, batch?: BatchingOptions): ServiceClients {
  const o = { deadlineMs, ...(tls ? { tls } : {}) };
  const image = batchedImage(createClient(ImageServiceClient, addr.image, { ...o, name: "image-service" }), batch);
  const target = batchedTargets(createClient(TargetServiceClient, addr.target, { ...o, name: "target-service" }), batch);
  const boot = batchOrNot(createClient(BootServiceClient, addr.boot, { ...o, name: "boot-service" }), "boot-service",
    { setBootConfig: "setBootConfigs", clearBootConfig: "clearBootConfigs" }, batch);
  const haas = batchOrNot(createClient(HaasGatewayClient, addr.haas, { ...o, name: "haas-gateway" }), "haas-gateway",
    { getNode: "getNodes", allocateNode: "allocateNodes", releaseNode: "releaseNodes" }, batch);
  return { image, target, boot, haas, close: () => [image, target, boot, haas].forEach((c) => c.close()) };
}

export function batchedImage(c: PromiseClient<ImageServiceClient>, batch?: BatchingOptions): PromiseClient<ImageServiceClient> {
  return batchOrNot(c, "image-service", { createDisk: "createDisks", deleteDisk: "deleteDisks", getDisk: "getDisks" }, batch);
}

/** A target-service client (the single host's, or each target host's) with CreateTarget and DeleteTarget batched. */
export function batchedTargets(c: PromiseClient<TargetServiceClient>, batch?: BatchingOptions): PromiseClient<TargetServiceClient> {
  return batchOrNot(c, "target-service", { createTarget: "createTargets", deleteTarget: "deleteTargets" }, batch);
}

function batchOrNot<C extends object>(c: C, service: string, pairs: Parameters<typeof withBatching<C>>[2], batch?: BatchingOptions): C {
  return batch?.maxInFlight === 0 ? c : withBatching(c, service, pairs, batch);
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
