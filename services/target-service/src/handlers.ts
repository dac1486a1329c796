import { InvalidArgumentError } from "@bmi/errors";
import { assertMember, batchOf, INTERNAL, visibleProjects, type AccessTable, type Handlers } from "@bmi/grpc";
import type { Backing as PbBacking } from "@bmi/proto/bmi/common/v1/common";
import {
  BindInitiatorAddressResponse, CreateTargetResponse, DeleteTargetResponse, GetTargetResponse, ListTargetsResponse, Target, TargetServiceService,
} from "@bmi/proto/bmi/target/v1/target";
import type { Backing } from "./target";
import { sameBacking, type DiskDirectory } from "./disk-directory";
import type { TargetManager, TargetView } from "./targets";

/**
 * Targets carry CHAP secrets and open disks: only the orchestrator (for a user) or an admin manages them. The ACL's
 * address is boot-service's to say: it sees which address fetched the node's boot script.
 */
export const TARGET_ACCESS: AccessTable<typeof TargetServiceService> = {
  createTarget: INTERNAL, getTarget: INTERNAL, listTargets: INTERNAL, deleteTarget: INTERNAL, createTargets: INTERNAL, deleteTargets: INTERNAL,
  bindInitiatorAddress: { services: ["boot-service"] },
};

/** bmi.target.v1.TargetService: protobuf in, domain call, protobuf out. */
export function targetHandlers(targets: TargetManager, portals: string[], disks: DiskDirectory): Handlers<typeof TargetServiceService> {
  const toPb = (v: TargetView, withSecret: boolean) => Target.fromPartial({
    project: v.spec.project, disk: v.spec.disk,
    target: { iqn: v.spec.iqn, portals: v.portals ?? portals, lun: 1 }, placement: v.spec.hosts ? { hosts: v.spec.hosts } : undefined,
    initiatorIqn: v.spec.initiatorIqn, initiatorAddress: v.spec.initiatorAddress ?? "",
    chap: { user: v.spec.chapUser, secret: withSecret ? v.spec.chapSecret : "" },
    reverseChap: v.spec.reverse ? { user: v.spec.reverse.user, secret: withSecret ? v.spec.reverse.secret : "" } : undefined,
    backing: backingToPb(v.spec.backing), created: new Date(v.spec.created), active: v.active, sessions: v.sessions,
  });
  const single: Omit<Handlers<typeof TargetServiceService>, "createTargets" | "deleteTargets"> = {
    createTarget: async (req, ctx) => {
      assertMember(ctx.caller, req.project, `disk ${req.project}/${req.disk}`);
      // The disk is image-service's to describe, never the request's: a named path or device is not trusted.
      const backing = await disks.backing(ctx, req.project, req.disk);
      if (req.backing && !sameBacking(backingFromPb(req.backing), backing)) {
        throw new InvalidArgumentError(`backing is not disk ${req.project}/${req.disk}'s own; leave it empty`);
      }
      const { view, created } = await targets.create({
        project: req.project, disk: req.disk, backing, initiatorIqn: req.initiatorIqn, hosts: req.placement?.hosts ?? [],
      });
      return CreateTargetResponse.fromPartial({ target: toPb(view, true), created });
    },
    getTarget: async (req, ctx) => {
      assertMember(ctx.caller, req.project, `target ${req.project}/${req.disk}`);
      return GetTargetResponse.fromPartial({ target: toPb(await targets.get(req.project, req.disk), true) });
    },
    listTargets: async (req, ctx) => {
      const projects = visibleProjects(ctx.caller, req.project);
      return ListTargetsResponse.fromPartial({ targets: (await targets.list(projects)).map((v) => toPb(v, false)) });
    },
    deleteTarget: async (req, ctx) => {
      assertMember(ctx.caller, req.project, `target ${req.project}/${req.disk}`);
      return DeleteTargetResponse.fromPartial(await targets.delete(req.project, req.disk));
    },
    // boot-service calls as itself (a node's HTTP fetch has no user): the target must be the project's, by IQN.
    bindInitiatorAddress: async (req) =>
      BindInitiatorAddressResponse.fromPartial({ bound: await targets.bindAddress(req.project, req.iqn, req.address) }),
  };
  // The batched methods run each item through its single method (see @bmi/grpc batchOf).
  return {
    ...single,
    createTargets: batchOf(single.createTarget),
    deleteTargets: batchOf(single.deleteTarget),
  };
}

function backingFromPb(b: PbBacking | undefined): Backing {
  if (b?.file) return { kind: "file", path: b.file.path };
  if (b?.rbd) return { kind: "rbd", pool: b.rbd.pool, image: b.rbd.image, cephConf: b.rbd.cephConf || "/etc/ceph/ceph.conf", user: b.rbd.user || "admin" };
  throw new InvalidArgumentError("backing is required: a file path or an rbd image");
}

function backingToPb(b: Backing): PbBacking {
  return b.kind === "file"
    ? { file: { path: b.path } }
    : { rbd: { pool: b.pool, image: b.image, cephConf: b.cephConf, user: b.user } };
}
