import { NotFoundError } from "@bmi/errors";
import { createClient, withBatching, type CallContext, type PromiseClient, type TlsFiles } from "@bmi/grpc";
import { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import type { Backing as PbBacking } from "@bmi/proto/bmi/common/v1/common";
import type { Backing } from "../target";
import type { DiskDirectory } from "../disk-directory";

/**
 * Disks as image-service knows them, asked on behalf of the caller: image-service answers only for a disk of a
 * project the caller is in, so a tenant cannot name another project's disk, and only with its real backing, so
 * nobody can name a host file or device.
 */
export class ImageServiceDisks implements DiskDirectory {
  private readonly client: PromiseClient<ImageServiceClient>;

  constructor(address: string, tls: TlsFiles | undefined, deadlineMs = 10_000) {
    // Many CreateTarget calls at once (a bulk job's, or one CreateTargets) ask about their disks in GetDisks calls.
    this.client = withBatching(createClient(ImageServiceClient, address, { deadlineMs, name: "image-service", ...(tls ? { tls } : {}) }),
      "image-service", { getDisk: "getDisks" });
  }

  async backing(ctx: CallContext, project: string, disk: string): Promise<Backing> {
    const { disk: d } = await this.client.getDisk({ project, name: disk }, { ctx });
    const b = d?.backing ? fromPb(d.backing) : undefined;
    if (!b) throw new NotFoundError(`disk ${project}/${disk} not found`);
    return b;
  }

  close(): void {
    this.client.close();
  }
}

function fromPb(b: PbBacking): Backing | undefined {
  if (b.file?.path) return { kind: "file", path: b.file.path };
  if (b.rbd?.pool && b.rbd.image) {
    return { kind: "rbd", pool: b.rbd.pool, image: b.rbd.image, cephConf: b.rbd.cephConf || "/etc/ceph/ceph.conf", user: b.rbd.user || "admin" };
  }
  return undefined;
}
