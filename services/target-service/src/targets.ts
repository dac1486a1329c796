import { AlreadyExistsError, BmiError, FailedPreconditionError, NotFoundError } from "@bmi/errors";
import type { Logger } from "@bmi/log";
import { validateIqn, validateName } from "@bmi/validate";
import { chapSecret, chapUser, targetIqn, validateBacking, type IqnAuthority } from "./naming";
import type { Gate } from "./gate";
import { describe, matches, withSecret, type Backing, type LiveTarget, type TargetBackend, type TargetSpec, type TargetStore } from "./target";

/** A target with what tgtd says about it right now. */
export interface TargetView {
  spec: TargetSpec;
  active: boolean;
  sessions: number;
}

/**
 * Creates, reads and deletes targets: the store holds what is wanted, the backend (tgtd) is changed to match.
 * Every change to tgtd goes through `gate`, which the reconciler shares: changes of one target never interleave,
 * and a reconcile pass never sees a change half done.
 */
export class TargetManager {
  constructor(
    private readonly store: TargetStore,
    private readonly backend: TargetBackend,
    private readonly authority: IqnAuthority,
    readonly portals: string[],
    private readonly gate: Gate,
    private readonly log: Logger,
  ) {}

  /** Idempotent: the same project, disk, backing and initiator answer the same target and secret. */
  async create(req: { project: string; disk: string; backing: Backing; initiatorIqn: string }): Promise<{ view: TargetView; created: boolean }> {
    validateName("project", req.project);
    validateName("disk", req.disk);
    validateIqn("initiator IQN", req.initiatorIqn);
    validateBacking(req.backing);
    const iqn = targetIqn(this.authority, req.project, req.disk);
    return this.gate.shared(`${req.project}/${req.disk}`, async () => {
      await this.store.assertFollowed();
      let spec = await this.store.get(req.project, req.disk);
      let created = false;
      if (!spec) {
        const fresh: TargetSpec = {
          project: req.project, disk: req.disk, iqn, tid: await this.store.nextTid(), initiatorIqn: req.initiatorIqn,
          chapUser: chapUser(req.project, req.disk), chapSecret: chapSecret(), backing: req.backing, created: new Date().toISOString(),
        };
        created = await this.store.insert(fresh);
        spec = created ? fresh : await this.store.get(req.project, req.disk);
        if (!spec) throw new FailedPreconditionError(`target ${req.project}/${req.disk} was deleted while being created`);
      }
      if (spec.initiatorIqn !== req.initiatorIqn || JSON.stringify(spec.backing) !== JSON.stringify(req.backing)) {
        throw new AlreadyExistsError(`target ${req.project}/${req.disk} exists with another initiator or backing; delete it first`);
      }
      // A fresh tid cannot be live yet: only a repeated create needs to ask tgtd (a full `show`, the only kind).
      const found = spec;
      const live = created ? undefined : (await this.backend.list()).find((t) => t.tid === found.tid && t.iqn === found.iqn);
      if (!spec.chapSecret) spec = await this.rekey(spec, live !== undefined);
      if (!live) await this.applyNew(spec, created);
      return { view: live ? view(spec, live) : { spec, active: true, sessions: 0 }, created };
    });
  }

  async get(project: string, disk: string): Promise<TargetView> {
    const spec = await this.store.get(validateName("project", project), validateName("disk", disk));
    if (!spec) throw new NotFoundError(`target ${project}/${disk} not found`);
    const live = await this.liveOrNone();
    return view(spec, live.find((t) => t.tid === spec.tid));
  }

  /** Every target, or those of `projects` when given. */
  async list(projects?: string[]): Promise<TargetView[]> {
    const specs = (await this.store.list()).filter((s) => !projects || projects.includes(s.project));
    const live = await this.liveOrNone();
    return specs.map((s) => view(s, live.find((t) => t.tid === s.tid)));
  }

  /** Removes the target from tgtd (dropping live sessions) and forgets it. */
  async delete(project: string, disk: string): Promise<{ forced: boolean; sessionsClosed: number }> {
    validateName("project", project);
    validateName("disk", disk);
    return this.gate.shared(`${project}/${disk}`, async () => {
      // A foreign store's tid may be one of our live targets: nothing is removed on its word.
      await this.store.assertFollowed();
      const spec = await this.store.get(project, disk);
      if (!spec) throw new NotFoundError(`target ${project}/${disk} not found`);
      // The tid is this store's, in this service's own tgtd (the reconciler reports a foreign target on a wanted
      // tid): no full listing of every target per delete.
      const sessions = await this.backend.remove(spec.tid);
      await this.backend.deleteAccount(spec.chapUser);
      await this.store.delete(project, disk);
      if (sessions > 0) this.log.warn({ ...describe(spec), sessions }, "target deleted with force: live sessions dropped");
      else this.log.info(describe(spec), "target deleted");
      return { forced: sessions > 0, sessionsClosed: sessions };
    });
  }

  private async applyNew(spec: TargetSpec, created: boolean): Promise<void> {
    try {
      await this.backend.apply(spec);
      this.log.info(describe(spec), created ? "target created" : "target re-applied");
    } catch (err) {
      // A backing tgtd cannot open will not open on the next try either: forget the target. When tgtd is down
      // (UNAVAILABLE) the spec stays and the reconciler applies it once tgtd is back.
      // apply() removes what it made itself; anything else at that tid (it was taken) is not ours to remove.
      if (created && !(err instanceof BmiError && err.code === "UNAVAILABLE")) await this.store.delete(spec.project, spec.disk);
      throw err;
    }
  }

  /**
   * An adopted target's secret is unknown (tgtd never shows one): whoever creates it again is about to hand it to
   * the node, so it gets a new one, in tgtd first (when tgtd has the target) and then in the store.
   */
  private async rekey(spec: TargetSpec, live: boolean): Promise<TargetSpec> {
    if (!live) return withSecret(this.store, spec);
    const next = { ...spec, chapSecret: chapSecret() };
    await this.backend.rekey(next);
    await this.store.replace(next);
    this.log.info(describe(next), "adopted target given a new CHAP secret");
    return next;
  }

  private async liveOrNone(): Promise<LiveTarget[]> {
    return this.backend.list().catch((err: unknown) => {
      this.log.warn({ err: String(err) }, "tgtd not answering: targets reported inactive");
      return [];
    });
  }
}

/** Active only when tgtd has all of it (LUN, ACL, account): a target is listed as soon as it is begun. */
function view(spec: TargetSpec, live: LiveTarget | undefined): TargetView {
  return { spec, active: live !== undefined && matches(spec, live), sessions: live?.sessions ?? 0 };
}
