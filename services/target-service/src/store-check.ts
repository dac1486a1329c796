import { ownsIqn, storeMarkerId, type IqnAuthority } from "./naming";
import { matches, type LiveTarget, type TargetSpec } from "./target";

/** tgtd's targets sorted against a store: its marker, the rest, and those the store would have deleted. */
export interface Comparison {
  /** tgtd's store marker, if it has one. */
  marker: { tid: number; storeId: string } | undefined;
  /** Every target but the marker. */
  live: LiveTarget[];
  /** Targets of our IQN authority the store does not want as they are, with why. */
  doomed: Array<{ target: LiveTarget; reason: "not wanted" | "differs from its spec" }>;
}

/**
 * What the reconciler may do with a store. `follow`: tgtd's marker names this store, reconcile fully. `bind`:
 * unproven, but nothing of tgtd's would be deleted (a fresh or restarted tgtd, a store that wants exactly what
 * tgtd has): mark tgtd with the store and go on. `refuse`: an empty or unfamiliar store would delete targets that
 * booted nodes run from, so nothing is done until an operator says which side is right.
 */
export type StoreVerdict =
  | { kind: "follow"; id: string }
  | { kind: "bind" }
  | { kind: "refuse"; problem: string };

export function compare(auth: IqnAuthority, all: LiveTarget[], wanted: TargetSpec[]): Comparison {
  const markers = all.flatMap((t) => {
    const storeId = storeMarkerId(auth, t.iqn);
    return storeId === undefined ? [] : [{ tid: t.tid, storeId }];
  });
  const marker = markers[0];
  const live = all.filter((t) => storeMarkerId(auth, t.iqn) === undefined);
  const doomed: Comparison["doomed"] = [];
  for (const t of live) {
    const spec = wanted.find((s) => s.tid === t.tid);
    if (ownsIqn(auth, t.iqn) && !(spec && matches(spec, t))) doomed.push({ target: t, reason: spec ? "differs from its spec" : "not wanted" });
  }
  return { marker, live, doomed };
}

export function judgeStore(identity: string | undefined, c: Comparison, location: string): StoreVerdict {
  if (identity !== undefined && identity === c.marker?.storeId) return { kind: "follow", id: identity };
  if (c.doomed.length === 0) return { kind: "bind" };
  if (identity === undefined) {
    return { kind: "refuse", problem: `the target store ${location} is empty (no store-id): Redis was flushed or lost, or BMI_REDIS_PREFIX changed` };
  }
  if (c.marker === undefined) {
    return { kind: "refuse", problem: `tgtd has no store marker, so nothing proves its targets came from the store ${location} (${identity})` };
  }
  return {
    kind: "refuse",
    problem: `the target store ${location} is ${identity} but tgtd's targets were made from store ${c.marker.storeId}: BMI_REDIS_PREFIX or BMI_REDIS_URL points at another store`,
  };
}

/** The one log line of a refusal: what happened and what an operator does about it. */
export function refusalMessage(problem: string, doomed: number): string {
  return `${problem}; reconciling would delete ${doomed} of tgtd's targets, so none is touched and target-service is NOT_SERVING. ` +
    "If the Redis settings are wrong, fix them and restart; otherwise run `node services/target-service/dist/admin.js adopt` " +
    "(record tgtd's targets in this store) or `... accept-store --yes` (make tgtd follow this store and delete what it does not want)";
}
