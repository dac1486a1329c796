import { InvalidArgumentError } from "@bmi/errors";
import type { Handlers } from "@bmi/grpc";
import { validateName } from "@bmi/validate";
import { QuotaKind, quotaKindFromJSON, quotaKindToJSON, type Quota } from "@bmi/proto/bmi/common/v1/common";
import { GetQuotaResponse, SetQuotaResponse, type ImageServiceService } from "@bmi/proto/bmi/image/v1/image";
import { assertMember } from "./access";
import type { ImageLibrary } from "./library";
import { QUOTA_NAMES, type QuotaName } from "./quotas";

/** GetQuota and SetQuota: the project's disk, image and byte quotas as protobuf. */
export function quotaHandlers(images: ImageLibrary): Pick<Handlers<typeof ImageServiceService>, "getQuota" | "setQuota"> {
  const answer = (project: string): Quota[] => {
    const limits = images.quotas.limitsOf(project);
    const use = images.quotas.use(project);
    return QUOTA_NAMES.map((n) => ({ kind: kindOf(n), used: use[n], ...(limits[n] !== undefined ? { limit: limits[n] } : {}) }));
  };
  return {
    async getQuota(req, ctx) {
      assertMember(ctx.caller, validateName("project", req.project));
      return GetQuotaResponse.fromPartial({ quotas: answer(req.project) });
    },
    async setQuota(req, ctx) {
      assertMember(ctx.caller, validateName("project", req.project));
      const changes: Partial<Record<QuotaName, number | undefined>> = {};
      for (const q of req.quotas) changes[nameOf(q.kind)] = q.limit;
      await images.quotas.set(req.project, changes);
      return SetQuotaResponse.fromPartial({ quotas: answer(req.project) });
    },
  };
}

function kindOf(name: QuotaName): QuotaKind {
  return quotaKindFromJSON(`QUOTA_KIND_${name.toUpperCase()}`);
}

function nameOf(kind: QuotaKind): QuotaName {
  const name = quotaKindToJSON(kind).replace(/^QUOTA_KIND_/, "").toLowerCase();
  if (!(QUOTA_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(`quota ${name}: image-service keeps ${QUOTA_NAMES.join(", ")}${kind === QuotaKind.QUOTA_KIND_NODES ? " (nodes are the orchestrator's)" : ""}`);
  }
  return name as QuotaName;
}
