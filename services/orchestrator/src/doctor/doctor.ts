import type { CallOpts } from "@bmi/grpc";
import type { Redis } from "@bmi/redis";
import { BootConfig } from "@bmi/proto/bmi/boot/v1/boot";
import { Firmware } from "@bmi/proto/bmi/common/v1/common";
import { CheckDriftResponse, type DriftFinding } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { CreateTargetRequest, type Target } from "@bmi/proto/bmi/target/v1/target";
import type { Keys } from "../engine/keys";
import type { JobQueries } from "../engine/queries";
import type { ProvisionedRecord } from "../engine/types";
import { gone, notFoundAs, type ServiceClients } from "../steps/clients";
import { compare, REPAIR_ORDER, type Planned, type Repair } from "./compare";
import { joinRecords, readBackEnds, readRecords } from "./snapshot";

export interface DoctorDeps {
  redis: Redis;
  keys: Keys;
  queries: JobQueries;
  clients: ServiceClients;
  /** Initiator IQN of a node = <prefix>:<project>.<node>, as provisioning names it. */
  initiatorPrefix: string;
}

/**
 * Drift between BMI's records (Redis: provisioned nodes, the disks they had, running jobs) and its back ends
 * (image-service's disks, target-service's targets and whether tgtd serves them, boot-service's configs, HIL's
 * allocations). `check` reports every difference with its fix and, with `repair`, applies the safe ones.
 */
export class Doctor {
  constructor(private readonly d: DoctorDeps) {}

  async check(repair: boolean, call: CallOpts): Promise<CheckDriftResponse> {
    // Records before and after the back ends: a job that starts or ends meanwhile is seen busy or named either way.
    const before = await readRecords(this.d.redis, this.d.keys, this.d.queries);
    const be = await readBackEnds(this.d.clients, call, before.projects);
    const rec = joinRecords(before, await readRecords(this.d.redis, this.d.keys, this.d.queries));
    const planned = compare(rec, be);
    if (repair) await this.repairAll(planned, call);
    return CheckDriftResponse.fromPartial({
      findings: planned.map((p) => p.finding), checked: new Date(), provisionedNodes: rec.provisioned.size,
      disks: be.disks.length, targets: be.targets.length, bootConfigs: be.configs.length, busyNodes: [...rec.busy].sort(), skipped: be.skipped,
    });
  }

  private async repairAll(planned: Planned[], call: CallOpts): Promise<void> {
    for (const op of REPAIR_ORDER) {
      for (const p of planned.filter((x) => x.repair?.op === op)) {
        // A job may have taken the node since the check: leave it to the job.
        if (await this.nowBusy(p.finding)) {
          p.finding.repairError = "a job took the node meanwhile: left to it";
          continue;
        }
        try {
          await this.apply(p.repair!, call);
          p.finding.repaired = true;
        } catch (err) {
          p.finding.repairError = (err as Error).message;
        }
      }
    }
  }

  private async nowBusy(f: DriftFinding): Promise<boolean> {
    const node = f.node || f.resource.replace(/-\d+$/, "");
    return (await this.d.queries.lockHolder(node)) !== undefined;
  }

  private async apply(r: Repair, call: CallOpts): Promise<void> {
    const { image, target, boot } = this.d.clients;
    switch (r.op) {
      case "deleteTarget": return gone(target.deleteTarget({ project: r.project, disk: r.disk }, call));
      case "clearBootConfig": return gone(boot.clearBootConfig({ node: r.node }, call));
      case "deleteDisk": return this.deleteUnusedDisk(r.project, r.disk, call);
      case "recreateTarget": {
        const p = r.record;
        const { disk } = await image.getDisk({ project: p.project, name: p.disk }, call);
        const old = (await target.getTarget({ project: p.project, disk: p.disk }, call).catch(notFoundAs({ target: undefined }))).target;
        const initiatorIqn = old?.initiatorIqn || `${this.d.initiatorPrefix}:${p.project}.${p.node}`;
        const made = (await target.createTarget(CreateTargetRequest.fromPartial({ project: p.project, disk: p.disk, backing: disk?.backing, initiatorIqn }), call)).target;
        return this.writeBootConfig(p, made, call);
      }
      case "rewriteBootConfig": {
        const p = r.record;
        const { target: t } = await target.getTarget({ project: p.project, disk: p.disk }, call);
        return this.writeBootConfig(p, t, call);
      }
    }
  }

  /** Deletes a disk only after asking once more that no record, target or boot config names it. */
  private async deleteUnusedDisk(project: string, disk: string, call: CallOpts): Promise<void> {
    const rec = await readRecords(this.d.redis, this.d.keys, this.d.queries);
    if (rec.disks.has(`${project}/${disk}`)) throw new Error(`a record names disk ${project}/${disk} now: not deleted`);
    const t = (await this.d.clients.target.getTarget({ project, disk }, call).catch(notFoundAs({ target: undefined }))).target;
    if (t) throw new Error(`disk ${project}/${disk} has target ${t.target?.iqn}: not deleted`);
    await gone(this.d.clients.image.deleteDisk({ project, name: disk }, call));
  }

  /** The node's boot config for target `t`: its existing config with the new target and secrets, or one made from the node. */
  private async writeBootConfig(p: ProvisionedRecord, t: Target | undefined, call: CallOpts): Promise<void> {
    if (!t?.target) throw new Error(`target-service answered no target for ${p.project}/${p.disk}`);
    const { boot, haas } = this.d.clients;
    const { config } = await boot.getBootConfig({ node: p.node }, call).catch(notFoundAs({ config: undefined }));
    if (config && config.project === p.project) {
      await boot.setBootConfig({ config: { ...config, target: t.target, chap: t.chap, reverseChap: t.reverseChap, initiatorIqn: t.initiatorIqn || config.initiatorIqn } }, call);
      return;
    }
    const { node } = await haas.getNode({ node: p.node }, call);
    const nic = node?.nics.find((n) => n.label === p.nic) ?? node?.nics[0];
    if (!nic?.mac) throw new Error(`node ${p.node} has no NIC with a MAC address`);
    const fw = node?.metadata.firmware;
    await boot.setBootConfig({ config: BootConfig.fromPartial({
      node: p.node, project: p.project, macs: [nic.mac], target: t.target, chap: t.chap, reverseChap: t.reverseChap,
      initiatorIqn: t.initiatorIqn || `${this.d.initiatorPrefix}:${p.project}.${p.node}`,
      firmware: fw === "uefi" ? Firmware.FIRMWARE_UEFI : fw === "bios" ? Firmware.FIRMWARE_BIOS : Firmware.FIRMWARE_UNSPECIFIED,
      efiLoader: node?.metadata.efi_loader ?? "",
    }) }, call);
  }
}
