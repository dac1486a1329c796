import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";
import { descriptorSetPath } from "@bmi/proto";

// The API reference says who may call each RPC from its "Access:" comment; each service enforces its own AccessTable
// (libs/grpc policy). This keeps the two the same: a rule changed in one place only fails here.
type Rule = "member" | "admin" | { services: string[] };
interface Documented { service: string; method: string; access?: { kind: string; services?: string[] } }

const load = createRequire(__filename);
const TABLES: Record<string, [string, string]> = {
  "bmi.orchestrator.v1.Orchestrator": ["services/orchestrator/dist/handlers/index.js", "ORCHESTRATOR_ACCESS"],
  "bmi.orchestrator.v1.TargetHosts": ["services/orchestrator/dist/placement/admin.js", "TARGET_HOSTS_ACCESS"],
  "bmi.orchestrator.v1.Allocation": ["services/orchestrator/dist/leases/handlers.js", "ALLOCATION_ACCESS"],
  "bmi.image.v1.ImageService": ["services/image-service/dist/server.js", "IMAGE_ACCESS"],
  "bmi.target.v1.TargetService": ["services/target-service/dist/handlers.js", "TARGET_ACCESS"],
  "bmi.boot.v1.BootService": ["services/boot-service/dist/handlers.js", "BOOT_ACCESS"],
  "bmi.haas.v1.HaasGateway": ["services/haas-gateway/dist/handlers.js", "HAAS_ACCESS"],
};

const asDocumented = (rule: Rule) =>
  typeof rule === "string" ? { kind: `${rule}s` } : { kind: "internal", services: [...rule.services] };

test("every RPC's documented access is the rule its service enforces", () => {
  const { accessRules } = load(path.join(REPO_ROOT, "deploy", "api-reference", "load.js")) as
    { accessRules(binpb: string): Documented[] };
  const documented = accessRules(descriptorSetPath);
  assert.deepEqual([...new Set(documented.map((d) => d.service))].sort(), Object.keys(TABLES).sort());
  for (const [service, [file, name]] of Object.entries(TABLES)) {
    const table = (load(path.join(REPO_ROOT, file)) as Record<string, Record<string, Rule>>)[name]!;
    const rpcs = documented.filter((d) => d.service === service);
    assert.equal(rpcs.length, Object.keys(table).length, `${service}: RPCs documented vs in ${name}`);
    for (const d of rpcs) {
      const rule = table[d.method.charAt(0).toLowerCase() + d.method.slice(1)];
      assert.ok(rule, `${service}.${d.method} has no rule in ${name}`);
      assert.ok(d.access, `${service}.${d.method} has no "Access:" line`);
      const { kind, services } = d.access;
      assert.deepEqual({ kind, ...(services ? { services } : {}) }, asDocumented(rule), `${service}.${d.method}`);
    }
  }
});
