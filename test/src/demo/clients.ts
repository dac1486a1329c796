import { createClient, type PromiseClient } from "@bmi/grpc";
import { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { OrchestratorClient } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import type { DemoConfig } from "./config";

/** The demo drives the orchestrator; image-service takes the upload, the others answer what it shows. */
export interface DemoClients {
  orch: PromiseClient<OrchestratorClient>;
  image: PromiseClient<ImageServiceClient>;
  target: PromiseClient<TargetServiceClient>;
  boot: PromiseClient<BootServiceClient>;
  close(): void;
}

export function demoClients(cfg: DemoConfig): DemoClients {
  const opts = { deadlineMs: 60_000, tls: { ca: cfg.ca } };
  const c = {
    orch: createClient(OrchestratorClient, cfg.orchAddr, opts),
    image: createClient(ImageServiceClient, cfg.imageAddr, opts),
    target: createClient(TargetServiceClient, cfg.targetAddr, opts),
    boot: createClient(BootServiceClient, cfg.bootAddr, opts),
  };
  return { ...c, close: () => Object.values(c).forEach((x) => x.close()) };
}
