import { createClient, type PromiseClient, type TlsFiles } from "@bmi/grpc";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import type { BootConfig } from "../boot-config";
import type { TargetAcl } from "../script-binding";

/**
 * The target's ACL through target-service's BindInitiatorAddress, called as boot-service itself: a node's HTTP fetch
 * has no user to speak for. A short deadline: the node waits for its script meanwhile.
 */
export class TargetServiceAcl implements TargetAcl {
  private readonly client: PromiseClient<TargetServiceClient>;

  constructor(address: string, tls: TlsFiles | undefined, deadlineMs = 5000) {
    this.client = createClient(TargetServiceClient, address, { deadlineMs, name: "target-service", ...(tls ? { tls } : {}) });
  }

  async bind(config: BootConfig, address: string): Promise<boolean> {
    const res = await this.client.bindInitiatorAddress({ project: config.project, iqn: config.target.iqn, address });
    return res.bound;
  }

  close(): void {
    this.client.close();
  }
}
