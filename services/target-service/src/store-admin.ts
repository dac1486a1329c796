import { isIP } from "node:net";
import { BmiError } from "@bmi/errors";
import { ownsIqn, storeMarkerIqn, targetNames, type IqnAuthority } from "./naming";
import { compare, judgeStore, type Comparison } from "./store-check";
import { matches, type Backing, type LiveTarget, type TargetBackend, type TargetSpec, type TargetStore } from "./target";

/** What an operator sees first: which store tgtd follows and what reconciling against this store would do. */
export interface StoreStatus {
  store: string;
  storeId: string;
  tgtdStoreId: string;
  targets: number;
  wanted: number;
  verdict: string;
  wouldDelete: string[];
}

export interface AdoptResult {
  storeId: string;
  adopted: string[];
  alreadyRecorded: string[];
  skipped: string[];
  /** Targets the store still wants otherwise: tgtd is then not marked and the service keeps refusing. */
  conflicts: string[];
}

/**
 * The operator's side of a refused store (see store-check.ts): adopt tgtd's targets into the store, or accept the
 * store as it is. Either ends with tgtd marked with the store's identity, which the running service's next
 * reconcile pass recognises.
 */
export class StoreAdmin {
  constructor(private readonly store: TargetStore, private readonly backend: TargetBackend, private readonly authority: IqnAuthority) {}

  async status(): Promise<StoreStatus> {
    const { identity, specs } = await this.store.snapshot();
    const seen = compare(this.authority, await this.backend.list(), specs);
    const verdict = judgeStore(identity, seen, this.store.location);
    return {
      store: this.store.location, storeId: identity ?? "none", tgtdStoreId: seen.marker?.storeId ?? "none", targets: seen.live.length,
      wanted: specs.length, verdict: verdict.kind === "refuse" ? `refuse: ${verdict.problem}` : verdict.kind, wouldDelete: names(seen),
    };
  }

  /**
   * Records every target of our IQN authority that tgtd serves as wanted, as tgtd lists it: IQN, tid, LUN 1's
   * backing, the ACL's initiator (a name, or the address the node booted from) and the bound CHAP users (the
 * initiator's tells a.b/c from a/b.c; an outgoing one is mutual CHAP's). tgtd never shows a
   * CHAP secret: tgtd keeps the old one, and the spec's stays empty until the target is created again (see
   * TargetSpec.chapSecret). RBD backings list only pool/image: `ceph` fills in the rest.
   */
  async adopt(ceph: { conf: string; user: string }): Promise<AdoptResult> {
    const live = await this.backend.list();
    const seen = compare(this.authority, live, await this.store.list());
    const storeId = await this.store.claimIdentity();
    this.store.follow(storeId);
    const result: AdoptResult = { storeId, adopted: [], alreadyRecorded: [], skipped: [], conflicts: [] };
    const recorded = await this.store.list();
    for (const t of seen.live.filter((x) => ownsIqn(this.authority, x.iqn))) {
      const had = recorded.find((s) => s.tid === t.tid);
      if (had && matches(had, t)) {
        result.alreadyRecorded.push(t.iqn);
        continue;
      }
      const spec = specOf(this.authority, t, ceph);
      if (typeof spec === "string") {
        result.skipped.push(`${t.iqn} (tid ${t.tid}): ${spec}`);
        continue;
      }
      const inserted = await this.store.insert(spec).catch((err: unknown) => {
        if (err instanceof BmiError) return err.message;
        throw err;
      });
      if (inserted === true) result.adopted.push(t.iqn);
      else result.skipped.push(`${t.iqn} (tid ${t.tid}): ${inserted === false ? `the store has another target for ${spec.project}/${spec.disk}` : inserted}`);
    }
    await this.store.reserveTids(Math.max(0, ...seen.live.map((t) => t.tid)));
    result.conflicts = names(compare(this.authority, live, await this.store.list()));
    if (result.conflicts.length === 0) await this.backend.mark(storeMarkerIqn(this.authority, storeId), seen.marker?.tid);
    return result;
  }

  /** Makes tgtd follow the store as it is: the service's next pass deletes what the store does not want. */
  async acceptStore(): Promise<{ storeId: string; deleting: string[] }> {
    const live = await this.backend.list();
    const seen = compare(this.authority, live, await this.store.list());
    const storeId = await this.store.claimIdentity();
    await this.store.reserveTids(Math.max(0, ...seen.live.map((t) => t.tid)));
    await this.backend.mark(storeMarkerIqn(this.authority, storeId), seen.marker?.tid);
    return { storeId, deleting: names(seen) };
  }
}

function names(seen: Comparison): string[] {
  return seen.doomed.map(({ target, reason }) => `${target.iqn} (tid ${target.tid}, ${reason})`);
}

/** The spec tgtd's listing implies for `t`, or why there is none. */
function specOf(auth: IqnAuthority, t: LiveTarget, ceph: { conf: string; user: string }): TargetSpec | string {
  if (t.initiators.length !== 1 || t.accounts.length !== 1) return "not exactly one initiator and one CHAP account";
  const names = targetNames(auth, t.iqn, t.accounts[0] ?? "");
  if (!names) return "its CHAP user is not the one its IQN implies";
  const backing = backingOf(t.lun1, ceph);
  if (!backing) return `LUN 1 is ${t.lun1 ? `a ${t.lun1.type} backing` : "missing"}`;
  // An address in the ACL is the one the node booted from; the name it used is not in tgtd's listing then.
  const acl = t.initiators[0] ?? "";
  const reverse = t.outgoing?.[0];
  return {
    ...names, iqn: t.iqn, tid: t.tid, initiatorIqn: isIP(acl) ? "" : acl, ...(isIP(acl) ? { initiatorAddress: acl } : {}),
    chapUser: t.accounts[0] ?? "", chapSecret: "", ...(reverse ? { reverse: { user: reverse, secret: "" } } : {}),
    backing, created: new Date().toISOString(),
  };
}

function backingOf(lun: LiveTarget["lun1"], ceph: { conf: string; user: string }): Backing | undefined {
  if (lun?.type === "rdwr") return { kind: "file", path: lun.path };
  const [pool, image, ...rest] = lun?.type === "rbd" ? lun.path.split("/") : [];
  if (!pool || !image || rest.length > 0) return undefined;
  return { kind: "rbd", pool, image, cephConf: ceph.conf, user: ceph.user };
}
