import { InvalidArgumentError } from "@bmi/errors";
import { assertMember, type Handlers, type PromiseClient } from "@bmi/grpc";
import { validateName } from "@bmi/validate";
import { QuotaKind, quotaKindToJSON, type Quota } from "@bmi/proto/bmi/common/v1/common";
import type { ImageServiceClient } from "@bmi/proto/bmi/image/v1/image";
import { GetQuotaResponse, SetQuotaResponse, type OrchestratorService } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { NodeQuota } from "../engine/node-quota";

/**
 * Quotas, one place for callers though two owners count them: nodes here (Redis, where jobs take them), disks,
 * images and bytes in image-service (its catalog), asked on the caller's behalf.
 */
export function quotaHandlers(nodes: NodeQuota, image: PromiseClient<ImageServiceClient>):
  Pick<Handlers<typeof OrchestratorService>, "getQuota" | "setQuota"> {
  const own = async (project: string): Promise<Quota> => {
    const [limit, used] = await Promise.all([nodes.limit(project), nodes.used(project)]);
    return { kind: QuotaKind.QUOTA_KIND_NODES, used, ...(limit !== undefined ? { limit } : {}) };
  };
  return {
    async getQuota(req, ctx) {
      assertMember(ctx.caller, validateName("project", req.project));
      const [mine, theirs] = await Promise.all([own(req.project), image.getQuota({ project: req.project }, { ctx })]);
      return GetQuotaResponse.fromPartial({ quotas: [mine, ...theirs.quotas] });
    },
    async setQuota(req, ctx) {
      assertMember(ctx.caller, validateName("project", req.project));
      const seen = new Set<QuotaKind>();
      for (const q of req.quotas) {
        if (q.kind === QuotaKind.QUOTA_KIND_UNSPECIFIED || seen.has(q.kind)) {
          throw new InvalidArgumentError(`quota ${quotaKindToJSON(q.kind)} is unspecified or named twice`);
        }
        seen.add(q.kind);
      }
      const node = req.quotas.find((q) => q.kind === QuotaKind.QUOTA_KIND_NODES);
      const rest = req.quotas.filter((q) => q.kind !== QuotaKind.QUOTA_KIND_NODES);
      // image-service validates its kinds first: a refused request changes nothing here either.
      const theirs = rest.length > 0
        ? await image.setQuota({ project: req.project, quotas: rest }, { ctx })
        : await image.getQuota({ project: req.project }, { ctx });
      if (node) await nodes.setLimit(req.project, node.limit);
      return SetQuotaResponse.fromPartial({ quotas: [await own(req.project), ...theirs.quotas] });
    },
  };
}
