import { AlreadyExistsError, BmiError, FailedPreconditionError, NotFoundError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { validateAddress, validateIqn, validateName } from "@bmi/validate";
import { AccountSweeper } from "./account-sweeper";
import { chapSecret } from "./credentials";
import { chapUser, reverseChapUser, targetIqn, validateBacking, type IqnAuthority } from "./naming";
import type { Gate } from "./gate";
import type { HostPlacement } from "./hosts/placed";
import { aclOf, describe, ExportGoneError, matches, type Backing, type LiveTarget, type TargetBackend, type TargetSpec, type TargetStore } from "./target";

/** Settings of the manager (target-service's config). */
export interface TargetOptions {
  /** Give every target an outgoing account too (BMI_TARGET_MUTUAL_CHAP). */
  mutualChap?: boolean;
  /** Follow boot-service's bound addresses in the ACL (BMI_TARGET_BIND_ADDRESS, default true). */
  bindAddress?: boolean;
  /** With several target hosts (BMI_TARGET_HOST_ID): which targets are this host's, their portals. */
  placement?: HostPlacement;
}

/** A target with what tgtd says about it right now. */
export interface TargetView {
  spec: TargetSpec;
  active: boolean;
  sessions: number;
  /** With several target hosts: the portals of the target's hosts (else the service's own). */
  portals?: string[];
}

/**
 * Creates, reads and deletes targets: the store holds what is wanted, the backend (tgtd) is changed to match.
 * Every change to tgtd goes through `gate`, which the reconciler shares: changes of one target never interleave,
 * and a reconcile pass never sees a change half done.
 */
export class TargetManager {
  /** The accounts of targets deleted in a bulk, deleted from tgtd after it. */
  readonly accounts: AccountSweeper;

  constructor(
    private readonly store: TargetStore,
    private readonly backend: TargetBackend,
    private readonly authority: IqnAuthority,
    readonly portals: string[],
    private readonly gate: Gate,
    private readonly log: Logger,
    private readonly options: TargetOptions = {},
  ) {
    this.accounts = new AccountSweeper(backend, gate, log);
  }

  /**
   * Idempotent in the target: the same project, disk, backing and initiator answer the same target. Not in its
   * credentials: an existing target gets new CHAP secrets (tgtd first, then the store), so every provision of a
   * disk hands its node secrets nobody saw before; sessions already logged in keep going.
   */
  async create(req: { project: string; disk: string; backing: Backing; initiatorIqn: string; hosts?: string[] }): Promise<{ view: TargetView; created: boolean }> {
    validateName("project", req.project);
    validateName("disk", req.disk);
    validateIqn("initiator IQN", req.initiatorIqn);
    validateBacking(req.backing);
    const iqn = targetIqn(this.authority, req.project, req.disk);
    const place = this.options.placement;
    const hosts = place ? { hosts: await place.resolve(req.hosts ?? [], req.backing) } : {};
    const key = `${req.project}/${req.disk}`;
    return this.accounts.around(() => this.gate.shared(key, async () => {
      let spec = await this.store.followedGet(req.project, req.disk);
      this.accounts.claim(key);
      let created = false;
      if (!spec) {
        // The tid is taken in the insert itself: one round trip to Redis for a new target, not two.
        const fresh = await this.store.insertNew({
          project: req.project, disk: req.disk, iqn, initiatorIqn: req.initiatorIqn,
          chapUser: chapUser(req.project, req.disk), chapSecret: chapSecret(), ...this.reverse(req.project, req.disk),
          backing: req.backing, created: new Date().toISOString(), ...hosts,
        });
        created = fresh !== undefined;
        spec = fresh ?? await this.store.get(req.project, req.disk);
        if (!spec) throw new FailedPreconditionError(`target ${req.project}/${req.disk} was deleted while being created`);
      }
      // An adopted target whose ACL was an address has no initiator name yet: the request names it.
      if ((spec.initiatorIqn !== "" && spec.initiatorIqn !== req.initiatorIqn) || JSON.stringify(spec.backing) !== JSON.stringify(req.backing)) {
        throw new AlreadyExistsError(`target ${req.project}/${req.disk} exists with another initiator or backing; delete it first`);
      }
      // A fresh tid cannot be live yet: only a repeated create asks tgtd, about this one target.
      const found = spec;
      const here = !place || place.local(found);
      const at = created || !here ? undefined : await this.backend.find(found.tid);
      const listed = at?.iqn === found.iqn ? at : undefined;
      // A target an interrupted create left half-made (no LUN, ACL or account yet) is made again whole, now rather
      // than at the reconciler's next pass (which removes it as differing from its spec).
      const live = listed && matches(found, listed) ? listed : undefined;
      if (listed && !live) await this.backend.remove(found.tid);
      // Another set of hosts moves the target: the hosts it leaves drop it, the new ones apply it (with the new secrets).
      if (!created) spec = await this.rotate({ ...spec, initiatorIqn: req.initiatorIqn, ...hosts }, spec, live !== undefined);
      if (!live) await this.applyNew(spec, created);
      await place?.changed(found, spec);
      return { view: await this.withPortals(live ? view(spec, live) : { spec, active: true, sessions: 0 }), created };
    }));
  }

  /**
   * boot-service's word that the target's node booted from `address` (its boot script was fetched from there): the
   * ACL becomes that address alone, in the store first, so that the reconciler puts it back should tgtd miss it.
   * "" makes the ACL the initiator name again. False when addresses are not bound (BMI_TARGET_BIND_ADDRESS=false).
   */
  async bindAddress(project: string, iqn: string, address: string): Promise<boolean> {
    validateName("project", project);
    validateIqn("target IQN", iqn);
    const ip = address === "" ? "" : validateAddress("initiator address", address);
    if (this.options.bindAddress === false) return false;
    const owned = await this.store.byIqn(iqn);
    if (!owned || owned.project !== project) throw new NotFoundError(`target ${iqn} not found in project ${project}`);
    return this.gate.shared(`${owned.project}/${owned.disk}`, async () => {
      const spec = await this.store.followedGet(owned.project, owned.disk);
      if (!spec || spec.iqn !== iqn) throw new NotFoundError(`target ${iqn} not found in project ${project}`);
      if ((spec.initiatorAddress ?? "") === ip) return true;
      const next: TargetSpec = { ...spec, initiatorAddress: ip };
      if (ip === "" && spec.initiatorIqn === "") throw new FailedPreconditionError(`target ${iqn} has no initiator name to go back to`);
      await this.store.replace(next);
      if (!this.options.placement || this.options.placement.local(next)) {
        await this.backend.rebind(next, aclOf(spec)).catch((err: unknown) => {
          // Not in tgtd right now (restarted): the reconciler applies it from the store, with the new ACL.
          if (!(err instanceof BmiError && /can't find the target/.test(err.message))) throw err;
        });
      }
      await this.options.placement?.changed(next);
      this.log.info(describe(next), ip ? "target bound to the address its node booted from" : "target bound to its initiator name");
      return true;
    });
  }

  async get(project: string, disk: string): Promise<TargetView> {
    const spec = await this.store.get(validateName("project", project), validateName("disk", disk));
    if (!spec) throw new NotFoundError(`target ${project}/${disk} not found`);
    const live = await this.liveOrNone();
    return this.withPortals(view(spec, live.find((t) => t.tid === spec.tid)));
  }

  /** Every target, or those of `projects` when given. */
  async list(projects?: string[]): Promise<TargetView[]> {
    const specs = (await this.store.list()).filter((s) => !projects || projects.includes(s.project));
    const live = await this.liveOrNone();
    const portals = await this.options.placement?.portals(specs);
    return specs.map((s) => ({ ...view(s, live.find((t) => t.tid === s.tid)), ...(portals ? { portals: portals.get(s) ?? [] } : {}) }));
  }

  private async withPortals(v: TargetView): Promise<TargetView> {
    const portals = await this.options.placement?.portals([v.spec]);
    return portals ? { ...v, portals: portals.get(v.spec) ?? [] } : v;
  }

  /** Removes the target from tgtd (dropping live sessions) and forgets it. */
  async delete(project: string, disk: string): Promise<{ forced: boolean; sessionsClosed: number }> {
    validateName("project", project);
    validateName("disk", disk);
    const key = `${project}/${disk}`;
    return this.accounts.around(() => this.gate.shared(key, async () => {
      // A foreign store's tid may be one of our live targets: nothing is removed on its word.
      const spec = await this.store.followedGet(project, disk);
      if (!spec) throw new NotFoundError(`target ${project}/${disk} not found`);
      // The tid is this store's, in this service's own tgtd (the reconciler reports a foreign target on a wanted
      // tid): no full listing of every target per delete.
      const here = !this.options.placement || this.options.placement.local(spec);
      const sessions = here ? await this.backend.remove(spec.tid) : 0;
      if (here) await this.accounts.release(key, [spec.chapUser, ...(spec.reverse ? [spec.reverse.user] : [])]);
      await this.store.delete(project, disk, spec.iqn);
      // The target's other hosts remove their copies in the pass this starts.
      await this.options.placement?.changed(spec);
      if (sessions > 0) this.log.warn({ ...describe(spec), sessions }, "target deleted with force: live sessions dropped");
      else this.log.info(describe(spec), "target deleted");
      return { forced: sessions > 0, sessionsClosed: sessions };
    }));
  }

  private async applyNew(spec: TargetSpec, created: boolean): Promise<void> {
    try {
      await this.backend.apply(spec);
      this.log.info(describe(spec), created ? "target created" : "target re-applied");
    } catch (err) {
      // A backing tgtd cannot open will not open on the next try either: forget the target. When tgtd is down
      // (UNAVAILABLE) the spec stays and the reconciler applies it once tgtd is back. An export file that is not
      // there (image-service restarting) is UNAVAILABLE to the caller, who retries the whole CreateTarget, but the
      // spec goes: the reconciler must not keep applying a backing nobody may ever bring back.
      // apply() removes what it made itself; anything else at that tid (it was taken) is not ours to remove.
      const tgtdDown = err instanceof BmiError && err.code === "UNAVAILABLE" && !(err instanceof ExportGoneError);
      if (created && !tgtdDown) await this.store.delete(spec.project, spec.disk, spec.iqn);
      throw err;
    }
  }

  /**
   * New CHAP secrets for a target that exists (an adopted one's are unknown, any other's were handed out before):
   * in tgtd first when tgtd has the target, then in the store. Mutual CHAP follows the current setting.
   */
  private async rotate(spec: TargetSpec, previous: TargetSpec, live: boolean): Promise<TargetSpec> {
    const { reverse: _, ...rest } = spec;
    const next: TargetSpec = { ...rest, chapSecret: chapSecret(), ...this.reverse(spec.project, spec.disk) };
    if (live) await this.backend.rekey(next, previous);
    await this.store.replace(next);
    this.log.info(describe(next), "target given new CHAP secrets");
    return next;
  }

  /** The target's own account when mutual CHAP is on. */
  private reverse(project: string, disk: string): Pick<TargetSpec, "reverse"> {
    return this.options.mutualChap ? { reverse: { user: reverseChapUser(project, disk), secret: chapSecret() } } : {};
  }

  private liveCache: Promise<LiveTarget[]> | undefined;

  /**
   * tgtd's listing for GetTarget and ListTargets: one listing in flight at a time, shared by every read that arrives
   * meanwhile, so a flood of reads costs tgtd one full listing at a time instead of one per read; a read sees a
   * listing begun at most one listing's time before it arrived.
   */
  private liveOrNone(): Promise<LiveTarget[]> {
    if (this.liveCache) return this.liveCache;
    const targets = this.backend.list().catch((err: unknown) => {
      this.log.warn({ err: String(err) }, "tgtd not answering: targets reported inactive");
      return [] as LiveTarget[];
    }).finally(() => {
      if (this.liveCache === targets) this.liveCache = undefined;
    });
    this.liveCache = targets;
    return targets;
  }
}

/** Active only when tgtd has all of it (LUN, ACL, account): a target is listed as soon as it is begun. */
function view(spec: TargetSpec, live: LiveTarget | undefined): TargetView {
  return { spec, active: live !== undefined && matches(spec, live), sessions: live?.sessions ?? 0 };
}
