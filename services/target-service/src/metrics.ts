import { counter, histogram } from "@bmi/metrics";

/** tgtd requests by what they do (mode and op, never arguments: an account's hold its CHAP secret). */
export const tgtdSeconds = histogram("bmi_tgtd_request_seconds", "tgtd management requests, by mode, op and outcome", ["mode", "op", "outcome"]);

/** Reconcile passes by result: ok, refused (store not recognised), error. */
export const reconcilePasses = counter("bmi_reconcile_passes_total", "reconcile passes of tgtd against the target store", ["result"]);

/**
 * Drift between tgtd and the store, by kind (missing: a wanted target tgtd lacks; unwanted: a target of ours
 * nobody wants; account: a CHAP account nobody uses) and what became of it (found, fixed, failed).
 */
export const reconcileDrift = counter("bmi_reconcile_drift_total", "differences between tgtd and the target store, found and fixed", ["kind", "action"]);
