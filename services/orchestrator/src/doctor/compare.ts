import { DriftKind, DriftFinding } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { Target } from "@bmi/proto/bmi/target/v1/target";
import type { ProvisionedRecord } from "../engine/types";
import { diskKey, type BackEnds, type Records } from "./snapshot";

/** What a safe repair does; run in this order (targets and configs go before the disks they name). */
export type Repair =
  | { op: "deleteTarget"; project: string; disk: string }
  | { op: "clearBootConfig"; node: string }
  | { op: "deleteDisk"; project: string; disk: string }
  | { op: "recreateTarget"; record: ProvisionedRecord }
  | { op: "rewriteBootConfig"; record: ProvisionedRecord };

export interface Planned {
  finding: DriftFinding;
  repair?: Repair;
}

/** A disk's node by BMI's naming (`<node>-<n>`), to leave disks of busy nodes alone. */
const nodeOfDisk = (disk: string) => disk.replace(/-\d+$/, "");

/** Provisioned records that have reached READY or later (their back ends should all be there). */
const SETTLED = new Set(["READY", "BOOTING", "BOOTED"]);

/**
 * Compares the records with the back ends. Each difference becomes a finding with its fix; a safe fix also gets
 * a repair. Safe means: what it removes nobody references (no record, no running job, no live iSCSI session, no
 * boot config of a provisioned node), and what it re-creates belongs to a provisioned node whose disk exists.
 */
export function compare(rec: Records, be: BackEnds): Planned[] {
  const out: Planned[] = [];
  const add = (kind: DriftKind, f: Omit<Partial<DriftFinding>, "kind">, repair?: Repair) =>
    out.push({ finding: DriftFinding.fromPartial({ kind, ...f, safe: repair !== undefined }), ...(repair ? { repair } : {}) });
  const disks = new Map(be.disks.map((d) => [diskKey(d.project, d.name), d]));
  const targets = new Map(be.targets.map((t) => [diskKey(t.project, t.disk), t]));
  const targetByIqn = new Map(be.targets.map((t) => [t.target?.iqn ?? "", t]));
  const configs = new Map(be.configs.map((c) => [c.node, c]));
  const current = new Map<string, ProvisionedRecord>();
  for (const p of rec.provisioned.values()) if (p.disk) current.set(diskKey(p.project, p.disk), p);

  // Provisioned nodes: everything they need must be there.
  for (const p of [...rec.provisioned.values()].sort((a, b) => a.node.localeCompare(b.node))) {
    if (rec.busy.has(p.node)) continue;
    const base = { project: p.project, node: p.node };
    if (!SETTLED.has(p.state)) {
      add(DriftKind.DRIFT_KIND_STALE_RECORD, { ...base, resource: p.node,
        detail: `provisioned record is ${p.state} (job ${p.job}) but no job holds the node`,
        fix: `look at job ${p.job}; deprovision the node (bmi dpro ${p.node}) to clear it` });
      continue;
    }
    const disk = disks.get(diskKey(p.project, p.disk));
    const target = targets.get(diskKey(p.project, p.disk));
    const config = configs.get(p.node);
    if (!disk) {
      add(DriftKind.DRIFT_KIND_MISSING_DISK, { ...base, resource: p.disk,
        detail: `disk ${p.project}/${p.disk} of provisioned node ${p.node} is not in image-service`,
        fix: `the node's data is gone: deprovision it (bmi dpro ${p.node}) and provision it again` });
      continue;
    }
    if (!target) {
      add(DriftKind.DRIFT_KIND_MISSING_TARGET, { ...base, resource: p.disk,
        detail: `disk ${p.project}/${p.disk} of provisioned node ${p.node} has no iSCSI target`,
        fix: "re-create the target (new CHAP secrets) and rewrite the node's boot config with them" }, { op: "recreateTarget", record: p });
      continue;
    }
    if (!target.active) {
      add(DriftKind.DRIFT_KIND_DEAD_TARGET, { ...base, resource: target.target?.iqn ?? p.disk,
        detail: `target ${target.target?.iqn} is recorded by target-service but tgtd does not serve it`,
        fix: "re-create the target in tgtd (new CHAP secrets) and rewrite the node's boot config with them" }, { op: "recreateTarget", record: p });
      continue;
    }
    if (!config) {
      add(DriftKind.DRIFT_KIND_MISSING_BOOT_CONFIG, { ...base, resource: p.node,
        detail: `provisioned node ${p.node} has no boot config: boot-service serves it no script`,
        fix: `write the boot config for target ${target.target?.iqn} (armed: the next fetch binds it)` }, { op: "rewriteBootConfig", record: p });
    } else if (config.project !== p.project || config.target?.iqn !== target.target?.iqn) {
      add(DriftKind.DRIFT_KIND_WRONG_BOOT_CONFIG, { ...base, resource: p.node,
        detail: `boot config of ${p.node} points at ${config.project}/${config.target?.iqn ?? "(none)"}, not ${target.target?.iqn}`,
        fix: `rewrite the boot config for target ${target.target?.iqn}` }, { op: "rewriteBootConfig", record: p });
    }
    const node = be.nodes?.find((n) => n.name === p.node);
    if (be.nodes && node?.project !== p.project) {
      add(DriftKind.DRIFT_KIND_NOT_ALLOCATED, { ...base, resource: p.node,
        detail: node ? `node ${p.node} is ${node.project ? `allocated to ${node.project}` : "free"} in HIL, provisioned in ${p.project}`
          : `node ${p.node} is not registered in HIL`,
        fix: "an operator decides: allocate the node to the project again, or deprovision it" });
    }
  }

  // Targets no provisioned node's current disk has. One with live sessions is in use by a booted node: kept.
  const removedTargets = new Set<Target>();
  for (const t of be.targets) {
    const key = diskKey(t.project, t.disk);
    if (current.has(key) || rec.busy.has(nodeOfDisk(t.disk))) continue;
    const iqn = t.target?.iqn ?? "";
    if (t.sessions > 0) {
      add(DriftKind.DRIFT_KIND_ORPHAN_TARGET, { project: t.project, resource: iqn,
        detail: `target ${iqn} (disk ${key}) is named by no provisioned node but has ${t.sessions} live session(s)`,
        fix: "a node is using it: find the node (its initiator) before deleting the target by hand" });
      continue;
    }
    removedTargets.add(t);
    add(DriftKind.DRIFT_KIND_ORPHAN_TARGET, { project: t.project, resource: iqn,
      detail: `target ${iqn} (disk ${key}) is named by no provisioned node`, fix: "delete the target" },
    { op: "deleteTarget", project: t.project, disk: t.disk });
  }

  // Boot configs of nodes not provisioned (in that project). One naming a target in use is kept.
  const removedConfigs = new Set<string>();
  for (const c of be.configs) {
    const p = rec.provisioned.get(c.node);
    if ((p && p.project === c.project) || rec.busy.has(c.node)) continue;
    const t = targetByIqn.get(c.target?.iqn ?? "");
    if (t && t.sessions > 0) {
      add(DriftKind.DRIFT_KIND_ORPHAN_BOOT_CONFIG, { project: c.project, node: c.node, resource: c.node,
        detail: `boot config of ${c.node} (${c.project}) has no provisioned record, and its target ${t.target?.iqn} has live sessions`,
        fix: "the node runs from it: record or deprovision it by hand" });
      continue;
    }
    removedConfigs.add(c.node);
    add(DriftKind.DRIFT_KIND_ORPHAN_BOOT_CONFIG, { project: c.project, node: c.node, resource: c.node,
      detail: `boot-service serves a script for ${c.node} (${c.project}), which is not provisioned${p ? ` there (it is in ${p.project})` : ""}`,
      fix: "clear the boot config" }, { op: "clearBootConfig", node: c.node });
  }

  // Disks nothing names. Never one a target or boot config still uses once the safe removals above are done.
  for (const d of be.disks) {
    const key = diskKey(d.project, d.name);
    if (rec.disks.has(key) || rec.busy.has(nodeOfDisk(d.name))) continue;
    const t = targets.get(key);
    const user = t && !removedTargets.has(t) ? `target ${t.target?.iqn} (${t.sessions} session(s))` : undefined;
    const config = t && be.configs.find((c) => c.target?.iqn === t.target?.iqn && !removedConfigs.has(c.node));
    const inUse = user ?? (config ? `the boot config of ${config.node}` : undefined);
    if (inUse) {
      add(DriftKind.DRIFT_KIND_ORPHAN_DISK, { project: d.project, resource: d.name,
        detail: `disk ${key} is named by no record, but ${inUse} uses it`,
        fix: "not deleted: a node may run from it; find its node before removing anything" });
      continue;
    }
    add(DriftKind.DRIFT_KIND_ORPHAN_DISK, { project: d.project, resource: d.name,
      detail: `disk ${key} (image ${d.image}) is named by no record, target or boot config`, fix: "delete the disk" },
    { op: "deleteDisk", project: d.project, disk: d.name });
  }

  // Allocations BMI does not know about.
  for (const n of be.nodes ?? []) {
    if (!n.project || rec.busy.has(n.name) || rec.provisioned.get(n.name)?.project === n.project) continue;
    add(DriftKind.DRIFT_KIND_ORPHAN_ALLOCATION, { project: n.project, node: n.name, resource: n.name,
      detail: `node ${n.name} is allocated to ${n.project} with no provisioned record or job`,
      fix: "if BMI allocated it (a job's undo that failed), release it in HIL; allocations made outside BMI are expected" });
  }
  return out;
}

/** Order of the repairs: removals of targets and configs first, then disks, then re-creations. */
export const REPAIR_ORDER: Repair["op"][] = ["deleteTarget", "clearBootConfig", "deleteDisk", "recreateTarget", "rewriteBootConfig"];
