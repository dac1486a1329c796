import { Quota, QuotaKind, quotaKindFromJSON, quotaKindToJSON } from "@bmi/proto/bmi/common/v1/common";
import type { Command, Ctx } from "../context";
import { UsageError } from "../exit-codes";
import { bytes } from "../output";

const NAMES = ["nodes", "disks", "images", "virtual_bytes", "stored_bytes"];
const UNITS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** "nodes=4", "virtual-bytes=100G" (K, M, G, T, P: powers of 1024), "images=unlimited". */
export function parseQuota(text: string): Quota {
  const m = /^([a-z_-]+)=(.+)$/i.exec(text);
  const name = m?.[1]?.toLowerCase().replace(/-/g, "_") ?? "";
  if (!m || !NAMES.includes(name)) throw new UsageError(`${text}: use NAME=LIMIT with NAME one of ${NAMES.join(", ")}`);
  const kind = quotaKindFromJSON(`QUOTA_KIND_${name.toUpperCase()}`);
  const value = m[2]!.toLowerCase();
  if (value === "unlimited" || value === "none") return { kind, used: 0 };
  const n = /^(\d+)([kmgtp]?)(i?b)?$/.exec(value);
  const limit = n ? Number(n[1]) * UNITS[n[2]!]! : NaN;
  if (!Number.isSafeInteger(limit) || (n?.[2] && !name.endsWith("bytes"))) {
    throw new UsageError(`${text}: a whole number${name.endsWith("bytes") ? " of bytes (K, M, G, T suffixes)" : ""} or "unlimited"`);
  }
  return { kind, used: 0, limit };
}

function show(ctx: Ctx, project: string, quotas: Quota[]): void {
  if (ctx.out.json) return ctx.out.data({ project, quotas: quotas.map((q) => Quota.toJSON(q)) });
  const fmt = (q: Quota, n: number) => (quotaKindToJSON(q.kind).endsWith("_BYTES") ? `${bytes(n)} (${n})` : String(n));
  ctx.out.table(quotas.map((q) => ({
    quota: quotaKindToJSON(q.kind).replace(/^QUOTA_KIND_/, "").toLowerCase(),
    limit: q.limit === undefined ? "unlimited" : fmt(q, q.limit), used: fmt(q, q.used),
  })), ["quota", "limit", "used"]);
}

/** Per-project quotas: nodes (the orchestrator's), disks, images and bytes (image-service's). */
export const quotaCommands: Command[] = [
  {
    name: "quota show", example: "bmi quota show -p demo", args: "", summary: "the project's quotas and what it uses (members)",
    async run(ctx) {
      const project = ctx.project();
      show(ctx, project, (await ctx.orch.getQuota({ project }, ctx.call)).quotas);
    },
  },
  {
    name: "quota set", example: "bmi quota set nodes=20 disks=40 virtual-bytes=2T stored-bytes=500G\nbmi quota set images=unlimited", args: "NAME=LIMIT... (nodes, disks, images, virtual_bytes, stored_bytes; LIMIT a number, 100G or unlimited)",
    summary: "set the project's quotas (admins); names not given keep their limits",
    async run(ctx, p) {
      if (p.length === 0) throw new UsageError("missing NAME=LIMIT");
      const quotas = p.map(parseQuota);
      if (new Set(quotas.map((q) => q.kind)).size !== quotas.length) throw new UsageError("a quota is named twice");
      const project = ctx.project();
      show(ctx, project, (await ctx.orch.setQuota({ project, quotas: quotas.filter((q) => q.kind !== QuotaKind.UNRECOGNIZED) }, ctx.call)).quotas);
    },
  },
];
