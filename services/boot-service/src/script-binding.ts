import type { Logger } from "@bmi/log";
import { plainAddress } from "@bmi/validate";
import type { BootConfig } from "./boot-config";
import type { BootConfigStore } from "./boot-configs";

/** target-service's ACL as boot-service drives it. Implemented by drivers/target-acl.ts. */
export interface TargetAcl {
  /** Makes the ACL of the config's target `address` alone; false when target-service does not bind addresses. */
  bind(config: BootConfig, address: string): Promise<boolean>;
}

/**
 * A boot script reaches only its node. Scripts are served without authentication (a node's firmware has nothing
 * to authenticate with) and carry the CHAP secret, and a diskless node fetches its script on every boot, the
 * reboots its tenant starts from inside the OS included, so "serve it once" would break them. Instead the
 * orchestrator arms a node's script when it provisions the node or powers it on (SetBootConfig, ArmBootConfig);
 * the first fetch while armed binds the script, and through target-service the target's ACL, to the address that
 * fetched it, and from then on only that address gets it, until the next arm. Any other fetch is refused.
 *
 * With `enabled` false (BMI_BOOT_BIND_ADDRESS=false, for boot networks that rewrite addresses) every fetch is
 * served, as before.
 */
export class ScriptBinder {
  constructor(
    private readonly store: Pick<BootConfigStore, "bind" | "confirmAcl">,
    private readonly acl: TargetAcl,
    private readonly log: Logger,
    readonly enabled: boolean,
    /** How long an armed script waits for its node's first fetch (BMI_BOOT_ARM_TTL_S); 0: no limit. */
    private readonly armTtlMs = 0,
  ) {}

  /** Whether the script of `config` may go to `remote`, binding it when armed (and the arming is not too old). */
  async admit(config: BootConfig, remote: string): Promise<boolean> {
    if (!this.enabled) return true;
    const address = plainAddress(remote);
    const now = Date.now();
    const armedAfter = this.armTtlMs > 0 ? new Date(now - this.armTtlMs).toISOString() : "";
    const bound = await this.store.bind(config.node, address, new Date(now).toISOString(), armedAfter);
    if (bound?.expired) {
      // Armed long ago and never fetched (a node provisioned and not powered on): whoever fetches first would win
      // the script and the target's ACL, so it waits for the next arm, right before the node is powered on.
      this.log.warn({ node: config.node, address, armed: bound.binding.armed }, "boot script refused: armed too long ago, never fetched; arm it again");
      return false;
    }
    if (!bound || bound.binding.address !== address) return false;
    if (bound.fresh) this.log.info({ node: config.node, address }, "boot script bound to the address that fetched it");
    // A failed ACL change is tried again at the node's next fetch; the script itself is bound already.
    if (!bound.binding.targetAcl) await this.bindAcl(config, address);
    return true;
  }

  /** Whether `remote` may make the script's callbacks: only the address it is bound to, once bound. */
  allows(config: BootConfig, remote: string): boolean {
    return !this.enabled || config.binding?.address === plainAddress(remote);
  }

  private async bindAcl(config: BootConfig, address: string): Promise<void> {
    try {
      if (await this.acl.bind(config, address)) await this.store.confirmAcl(config.node, address);
    } catch (err) {
      this.log.error({ node: config.node, iqn: config.target.iqn, address, err: String(err) },
        "target ACL not bound to the node's address (its next fetch tries again)");
    }
  }
}
