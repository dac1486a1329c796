import { createServer, type Authenticator, type BmiServer } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { ImageServiceService } from "@bmi/proto/bmi/image/v1/image";
import { DiskLibrary } from "./disks";
import { imageHandlers } from "./handlers";
import { ImageLibrary } from "./library";
import type { StorageDriver } from "./storage";

export interface ImageServer {
  server: BmiServer;
  images: ImageLibrary;
  disks: DiskLibrary;
}

/**
 * Opens the storage (reconciling what a crash left behind) and builds the gRPC server around it; the driver is
 * closed after in-flight calls drain at shutdown. The caller listens.
 */
export async function createImageServer(opts: {
  driver: StorageDriver; log: Logger; auth: Authenticator; shutdownGraceMs?: number; defaultDeadlineMs?: number;
}): Promise<ImageServer> {
  const images = await ImageLibrary.open(opts.driver, opts.log);
  const disks = new DiskLibrary(images);
  const server = createServer({
    name: "image-service", log: opts.log, auth: opts.auth,
    ...(opts.shutdownGraceMs !== undefined ? { shutdownGraceMs: opts.shutdownGraceMs } : {}),
    ...(opts.defaultDeadlineMs !== undefined ? { defaultDeadlineMs: opts.defaultDeadlineMs } : {}),
  });
  server.add(ImageServiceService, imageHandlers(images, disks));
  server.onShutdown(() => images.close());
  return { server, images, disks };
}
