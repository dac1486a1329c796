import { NotFoundError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { normalizeMac, validateName } from "@bmi/validate";
import { describe, validateBootConfig, type Binding, type BootConfig } from "./boot-config";

/**
 * Persistence of boot configs, with each MAC owned by at most one node, and of their bindings (script-binding.ts):
 * configs are read with theirs.
 */
export interface BootConfigStore {
  /**
   * Replaces the node's config and arms it (at `now`); throws ALREADY_EXISTS when one of its MACs belongs to
   * another node.
   */
  put(config: BootConfig, now: string): Promise<void>;
  /** False when the node had no config. */
  delete(node: string): Promise<boolean>;
  get(node: string): Promise<BootConfig | undefined>;
  byMac(mac: string): Promise<BootConfig | undefined>;
  list(): Promise<BootConfig[]>;
  /** Arms the node's script: the next fetch binds it. Undefined when the node has no config. */
  arm(node: string, now: string): Promise<Binding | undefined>;
  /**
   * The first fetch while armed binds the script to `address`: answers the binding as it is after the call and
   * whether this call bound it; undefined when the node has no config. With `armedAfter` (an ISO time), an arming
   * older than that binds nothing and answers `expired`.
   */
  bind(node: string, address: string, now: string, armedAfter?: string): Promise<{ binding: Binding; fresh: boolean; expired?: boolean } | undefined>;
  /** Records that the target's ACL holds `address`, if the binding still names it. */
  confirmAcl(node: string, address: string): Promise<void>;
}

/**
 * Boot configs of nodes. Listeners (the managed dnsmasq) hear about every change after it is stored; a failing
 * listener is logged, not fatal: the next change, or its own periodic sync, brings it back in step.
 */
export class BootConfigs {
  private readonly listeners: Array<(all: BootConfig[]) => Promise<void>> = [];

  constructor(private readonly store: BootConfigStore, private readonly log: Logger) {}

  onChange(listener: (all: BootConfig[]) => Promise<void>): void {
    this.listeners.push(listener);
  }

  async set(input: Omit<BootConfig, "updated">): Promise<BootConfig> {
    const config = validateBootConfig({ ...input, updated: new Date().toISOString() });
    await this.store.put(config, config.updated);
    this.log.info(describe(config), "boot config set");
    await this.changed();
    return config;
  }

  async clear(node: string): Promise<boolean> {
    const cleared = await this.store.delete(validateName("node", node));
    if (cleared) {
      this.log.info({ node }, "boot config cleared");
      await this.changed();
    }
    return cleared;
  }

  /** Arms the node's script again (see script-binding.ts): its next fetch binds it. */
  async arm(node: string): Promise<Binding> {
    const binding = await this.store.arm(validateName("node", node), new Date().toISOString());
    if (!binding) throw new NotFoundError(`node ${node} has no boot config`);
    this.log.info({ node }, "boot script armed");
    return binding;
  }

  async get(node: string): Promise<BootConfig> {
    const c = await this.store.get(validateName("node", node));
    if (!c) throw new NotFoundError(`node ${node} has no boot config`);
    return c;
  }

  /** The config of the node that owns `mac`, if any; the HTTP and TFTP paths ask with MACs. */
  byMac(mac: string): Promise<BootConfig | undefined> {
    return this.store.byMac(normalizeMac(mac));
  }

  /** Every config, or those of `projects` when given. */
  async list(projects?: string[]): Promise<BootConfig[]> {
    return (await this.store.list()).filter((c) => !projects || projects.includes(c.project));
  }

  /** Runs the listeners with the current configs (also used for a sync at start-up). */
  async changed(): Promise<void> {
    if (this.listeners.length === 0) return;
    const all = await this.store.list();
    for (const l of this.listeners) {
      await l(all).catch((err: unknown) => this.log.error({ err: String(err) }, "boot config listener failed"));
    }
  }
}
