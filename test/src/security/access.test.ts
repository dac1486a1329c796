import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protobuf from "protobufjs";
import { channelCredentials, createClient, PRINCIPAL_HEADER, principalValue, type TlsFiles } from "@bmi/grpc";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { TargetServiceClient } from "@bmi/proto/bmi/target/v1/target";
import { JobState } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { AllocationClient } from "@bmi/proto/bmi/orchestrator/v1/allocation";
import { testClientTls, testPki } from "@bmi/testing";
import { callOnce } from "../fuzz/generic-call";
import { loadBmiServices, serviceName } from "../fuzz/descriptors";
import { goldenImage, startStack, until, type Stack } from "../support/stack";
import { backEndState, servedScripts } from "./back-ends";

/**
 * Who may call what, for every RPC of every service: the README's access table, as a test. A row per RPC says
 * its access rule and a request that names project p1's resources; the test fails when an RPC has no row.
 *   member:         project members (the handlers check each resource's project)
 *   admin:          admins only
 *   internal:       only the orchestrator's certificate (forwarding its user, whose project is checked) or an admin
 *   internal-admin: only the orchestrator's certificate forwarding an admin, or an admin
 *   boot-service:   only boot-service's certificate, or an admin
 */
type Rule = "member" | "admin" | "internal" | "internal-admin" | "boot-service";
type Row = [Rule, Record<string, unknown>];
const P1 = { project: "p1" };
// A batched method (CreateDisks, ...) has its single method's rule; its one item is the single method's request. Such
// a call is accepted and refuses the item: the item's status is the one compared.
const batch = ([rule, request]: Row): Row => [rule, { items: [{ request, request_id: "" }] }];
const TABLE: Record<string, Record<string, Row>> = {
  "bmi.orchestrator.v1.Orchestrator": {
    ProvisionNode: ["member", { project: "p1", spec: { node: "n2", image: "golden" } }],
    DeprovisionNode: ["member", { project: "p1", node: "n1" }],
    SnapshotNode: ["member", { project: "p1", node: "n1", image: "stolen" }],
    ReprovisionNode: ["member", { project: "p1", node: "n1", disk: "n1-1" }],
    BulkProvision: ["member", { project: "p1", free_nodes: { count: 1, image: "golden" } }],
    BulkDeprovision: ["member", { project: "p1", nodes: ["n1"], delete_disk: true, release_node: true }],
    GetJob: ["member", { id: "$job" }],
    ListJobs: ["member", P1],
    WatchJob: ["member", { id: "$job" }],
    CancelJob: ["member", { id: "$job" }],
    ListProvisioned: ["member", P1],
    ListNodes: ["member", P1],
    GetNode: ["member", { node: "n1" }],
    RegisterNode: ["admin", { name: "evil", nics: [{ label: "eth0", mac: "52:54:00:66:66:66" }] }],
    UpdateNode: ["admin", { name: "n1", nics: [{ label: "eth0", mac: "52:54:00:66:66:67" }] }],
    UnregisterNode: ["admin", { name: "n2" }],
    SetNodePower: ["member", { project: "p1", node: "n1", action: 3, force: true }],
    GetNodePower: ["member", { project: "p1", node: "n1" }],
    SetNodeBootDevice: ["member", { project: "p1", node: "n1", device: 2 }],
    GetQuota: ["member", P1],
    SetQuota: ["admin", { project: "p1", quotas: [{ kind: 1, limit: 0 }, { kind: 2, limit: 0 }] }],
    ListAuditRecords: ["member", P1],
    CheckDrift: ["admin", { repair: true }],
  },
  // A p1 lease ($lease, starting in an hour, made by alice) and a cluster name of p1.
  "bmi.orchestrator.v1.Allocation": {
    AllocateBulk: ["member", { project: "p1", nodes: { count: 1 }, image: "golden" }],
    CreateLease: ["member", { project: "p1", nodes: { count: 1 }, image: "golden", duration_seconds: 3600 }],
    GetLease: ["member", { id: "$lease" }],
    ListLeases: ["member", P1],
    UpdateLease: ["member", { id: "$lease", end: { seconds: 1893456000 } }],
    EndLease: ["member", { id: "$lease" }],
    CreateCluster: ["member", { project: "p1", name: "c1", template: "name: t\nroles: [{name: head, image: golden}]\n" }],
    GetCluster: ["member", { project: "p1", name: "c1" }],
    ListClusters: ["member", P1],
    ScaleCluster: ["member", { project: "p1", name: "c1", role: "head", count: 2 }],
    DeleteCluster: ["member", { project: "p1", name: "c1" }],
  },
  "bmi.orchestrator.v1.TargetHosts": {
    ListTargetHosts: ["admin", {}],
    DrainTargetHost: ["admin", { host: "h1" }],
    EvacuateTargetHost: ["admin", { host: "h1" }],
    ListLimits: ["admin", {}],
  },
  "bmi.image.v1.ImageService": {
    ListImages: ["member", P1],
    GetImage: ["member", { project: "p1", name: "golden" }],
    ImportImage: ["admin", { project: "p1", name: "shadow", file_path: "/etc/shadow" }],
    UploadImage: ["member", { header: { project: "p1", name: "planted", format: 1, size_bytes: 512, checksum: "0".repeat(64) } }],
    DownloadImage: ["member", { project: "p1", name: "golden" }],
    CopyImage: ["member", { project: "p1", name: "golden", new_name: "loot", new_project: "p2" }],
    RenameImage: ["member", { project: "p1", name: "golden", new_name: "gone" }],
    DeleteImage: ["member", { project: "p1", name: "golden" }],
    SetImageVisibility: ["member", { project: "p1", name: "golden", public: true }],
    CreateDisk: ["internal", { project: "p1", name: "extra", image: "golden" }],
    CreateDisks: batch(["internal", { project: "p1", name: "extra", image: "golden" }]),
    GetDisk: ["member", { project: "p1", name: "n1-1" }],
    GetDisks: batch(["member", { project: "p1", name: "n1-1" }]),
    ListDisks: ["member", P1],
    DeleteDisk: ["internal", { project: "p1", name: "n1-1" }],
    DeleteDisks: batch(["internal", { project: "p1", name: "n1-1" }]),
    CreateSnapshot: ["internal", { project: "p1", disk: "n1-1", name: "snap" }],
    ListSnapshots: ["member", P1],
    GetQuota: ["member", P1],
    SetQuota: ["admin", { project: "p1", quotas: [{ kind: 2, limit: 0 }] }],
  },
  "bmi.target.v1.TargetService": {
    CreateTarget: ["internal", { project: "p1", disk: "n1-1", initiator_iqn: "iqn.2026-01.org.evil:x" }],
    CreateTargets: batch(["internal", { project: "p1", disk: "n1-1", initiator_iqn: "iqn.2026-01.org.evil:x" }]),
    GetTarget: ["internal", { project: "p1", disk: "n1-1" }],
    ListTargets: ["internal", P1],
    DeleteTarget: ["internal", { project: "p1", disk: "n1-1" }],
    DeleteTargets: batch(["internal", { project: "p1", disk: "n1-1" }]),
    // boot-service's, not the orchestrator's: for this table's attackers the same refusal as "internal".
    BindInitiatorAddress: ["boot-service", { project: "p1", iqn: "iqn.2026-01.org.example.bmi:p1.n1-1", address: "10.6.6.6" }],
  },
  "bmi.boot.v1.BootService": {
    SetBootConfig: ["internal", { config: { node: "n1", project: "p1", macs: ["52:54:00:66:66:66"] } }],
    SetBootConfigs: batch(["internal", { config: { node: "n1", project: "p1", macs: ["52:54:00:66:66:66"] } }]),
    ClearBootConfig: ["internal", { node: "n1" }],
    ClearBootConfigs: batch(["internal", { node: "n1" }]),
    GetBootConfig: ["internal", { node: "n1" }],
    ListBootConfigs: ["internal", P1],
    RenderDhcpHints: ["internal", P1],
    RenderScript: ["internal", { node: "n1" }],
    ArmBootConfig: ["internal", { node: "n1" }],
  },
  "bmi.haas.v1.HaasGateway": {
    ListNodes: ["internal", { project: "p1" }],
    GetNode: ["internal", { node: "n1" }],
    GetNodes: batch(["internal", { node: "n1" }]),
    AllocateNode: ["internal", { project: "p1", node: "n2" }],
    AllocateNodes: batch(["internal", { project: "p1", node: "n2" }]),
    ReleaseNode: ["internal", { project: "p1", node: "n1" }],
    ReleaseNodes: batch(["internal", { project: "p1", node: "n1" }]),
    ConnectNetwork: ["internal", { project: "p1", node: "n1", nic: "eth0", network: "evil" }],
    DetachNetwork: ["internal", { project: "p1", node: "n1", nic: "eth0", network: "net1" }],
    PowerCycle: ["internal", { project: "p1", node: "n1" }],
    PowerOn: ["internal", { project: "p1", node: "n1" }],
    PowerOff: ["internal", { project: "p1", node: "n1" }],
    GetPowerStatus: ["internal", { project: "p1", node: "n1" }],
    SetBootDevice: ["internal", { project: "p1", node: "n1", device: 1 }],
    RegisterNode: ["internal-admin", { name: "evil", nics: [{ label: "eth0", mac: "52:54:00:66:66:68" }] }],
    UpdateNode: ["internal-admin", { name: "n1", nics: [{ label: "eth0", mac: "52:54:00:66:66:69" }] }],
    UnregisterNode: ["internal-admin", { name: "n2" }],
  },
};

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
const ALICE = basic("alice", "alice-pw");
const BOB = basic("bob", "bob-pw");
const FORGED_ADMIN = principalValue({ user: "admin", projects: [], admin: true });
const { UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND } = grpc.status;

/** The callers an attacker can be, and what each must get for a rule (undefined: allowed, not a row to test). */
interface Caller { name: string; tls: () => TlsFiles; metadata: Record<string, string>; expect(rule: Rule): grpc.status | undefined }
const CALLERS: Caller[] = [
  { name: "a member of another project", tls: () => ({ ca: testPki().ca }), metadata: { authorization: BOB },
    expect: (r) => (r === "member" ? NOT_FOUND : PERMISSION_DENIED) },
  { name: "a member of the owning project, on an internal RPC", tls: () => ({ ca: testPki().ca }), metadata: { authorization: ALICE },
    expect: (r) => (r === "member" ? undefined : PERMISSION_DENIED) },
  { name: "no credentials", tls: () => ({ ca: testPki().ca }), metadata: {}, expect: () => UNAUTHENTICATED },
  { name: "a certificate from another CA, forwarding an admin", tls: () => ({ ...testPki().foreign, ca: testPki().ca }),
    metadata: { [PRINCIPAL_HEADER]: FORGED_ADMIN },
    expect: () => UNAUTHENTICATED },
  { name: "no client certificate, forwarding an admin", tls: () => ({ ca: testPki().ca }), metadata: { [PRINCIPAL_HEADER]: FORGED_ADMIN },
    expect: () => UNAUTHENTICATED },
  // The orchestrator's own certificate is let through every internal RPC: what holds then is each handler's check
  // that the resources named belong to the user it speaks for.
  { name: "the orchestrator's certificate, for a member of another project", tls: () => testPki().files("orchestrator"),
    metadata: { [PRINCIPAL_HEADER]: principalValue({ user: "bob", projects: ["p2"], admin: false }) },
    expect: (r) => (r === "member" || r === "internal" ? NOT_FOUND : PERMISSION_DENIED) },
];

/** A batched call's outcome for its one item: the call's status when refused, else its item's. */
function callBatch(client: grpc.Client, method: string, encoded: Buffer, md: grpc.Metadata, response: protobuf.Type): Promise<{ code: grpc.status; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, encoded, md, { deadline: Date.now() + 10_000 }, (err, res) => {
      if (err) return resolve({ code: err.code, details: err.details });
      const { results } = response.toObject(response.decode(res!)) as { results?: Array<{ error?: { code?: number; message?: string } }> };
      const e = results?.[0]?.error;
      resolve({ code: (e?.code ?? grpc.status.OK) as grpc.status, details: e?.message ?? (results?.length === 1 ? "" : `${results?.length ?? 0} results`) });
    });
  });
}

describe("every RPC of every service, called directly by whoever must not", () => {
  let s: Stack;
  let dir: string;
  let job = "";
  let lease = "";
  const jobId = () => job;
  const services = loadBmiServices();
  const addresses = (): Record<string, string> => ({
    "bmi.orchestrator.v1.Orchestrator": s.orchAddr, "bmi.orchestrator.v1.TargetHosts": s.orchAddr, "bmi.orchestrator.v1.Allocation": s.orchAddr, "bmi.image.v1.ImageService": s.imageAddr,
    "bmi.target.v1.TargetService": s.processes.find((p) => p.name === "target-service")!.address,
    "bmi.boot.v1.BootService": s.processes.find((p) => p.name === "boot-service")!.address,
    "bmi.haas.v1.HaasGateway": s.processes.find((p) => p.name === "haas-gateway")!.address,
  });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "bmi-access-"));
    const usersFile = path.join(dir, "users.yaml");
    await writeFile(usersFile, ["users:", "  - {name: admin, token: admin-token, admin: true}",
      "  - {name: alice, password: alice-pw, projects: [p1]}", "  - {name: bob, password: bob-pw, projects: [p2]}", ""].join("\n"));
    s = await startStack({ tag: "access", auth: { usersFile, admin: "Bearer admin-token" } });
    await s.registerNodes(["n1", "n2"]);
    const admin = { authorization: "Bearer admin-token" };
    await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false }, admin);
    const res = await s.orch.provisionNode({ project: "p1", spec: { node: "n1", image: "golden", disk: "", nic: "", network: "net1" },
      options: { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 }, idempotencyKey: "" }, { authorization: ALICE });
    job = res.job!.id;
    const done = await until("provision", async () => {
      const j = (await s.orch.getJob({ id: job }, { authorization: ALICE })).job;
      return j && j.state !== JobState.JOB_STATE_RUNNING && j.state !== JobState.JOB_STATE_PENDING && j;
    });
    assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
    // Starting in an hour: nothing of it runs during the test.
    const alloc = createClient(AllocationClient, s.orchAddr, { deadlineMs: 10_000, tls: s.clientTls });
    lease = (await alloc.createLease({ project: "p1", nodes: { count: 1, selector: "", placement: 0, minCount: 0 }, image: "golden", network: "",
      start: new Date(Date.now() + 3600_000), end: undefined, durationSeconds: 3600, deleteDisks: true, powerCycle: false, dryRun: false },
    { authorization: ALICE })).lease!.id;
    alloc.close();
  });
  after(async () => {
    await s?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("has a row for every RPC the contracts define, and no row for one they do not", () => {
    const defined = services.map((svc) => [serviceName(svc), svc.methodsArray.map((m) => m.name).sort()] as const);
    assert.deepEqual(Object.fromEntries(defined), Object.fromEntries(Object.entries(TABLE).map(([k, v]) => [k, Object.keys(v).sort()])));
  });

  it("refuses each of them with the expected code, and nothing changes in Redis, tgtd, the image store or the boot scripts", async () => {
    const macs = ["52:54:00:00:00:01", "52:54:00:66:66:66"];
    const scriptsBefore = await servedScripts(s, macs);
    // The fetch is a boot event: let the orchestrator record it before the back ends are read.
    await new Promise((r) => setTimeout(r, 2000));
    const beforeState = await backEndState(s);
    const addr = addresses();
    const wrong: string[] = [];
    let calls = 0;
    for (const caller of CALLERS) {
      const clients = new Map<string, grpc.Client>();
      for (const svc of services) {
        const name = serviceName(svc);
        const client = new grpc.Client(addr[name]!, channelCredentials(caller.tls()));
        clients.set(name, client);
        for (const m of svc.methodsArray) {
          const [rule, request] = TABLE[name]![m.name]!;
          const want = caller.expect(rule);
          if (want === undefined) continue;
          const type = m.resolvedRequestType as protobuf.Type;
          const body = JSON.parse(JSON.stringify(request).replace(/"\$job"/g, JSON.stringify(job)).replace(/"\$lease"/g, JSON.stringify(lease)));
          const md = new grpc.Metadata();
          for (const [k, v] of Object.entries(caller.metadata)) md.set(k, v);
          const encoded = Buffer.from(type.encode(type.fromObject(body)).finish());
          const out = "items" in body
            ? await callBatch(client, `/${name}/${m.name}`, encoded, md, m.resolvedResponseType as protobuf.Type)
            : await callOnce(client, { path: `/${name}/${m.name}`, requestStream: !!m.requestStream,
              responseStream: !!m.responseStream }, [encoded], md, { deadlineMs: 10_000, streamReadMs: 3000, streamReadMessages: 1 });
          calls++;
          if (out.code !== want) wrong.push(`${caller.name}: ${name}/${m.name} answered ${String(out.code)} (${out.details}), expected ${grpc.status[want]}`);
        }
      }
      for (const c of clients.values()) c.close();
    }
    assert.deepEqual(wrong, [], `${wrong.length} of ${calls} calls were not refused as expected`);
    assert.ok(calls > 150, `only ${calls} calls`);
    assert.deepEqual(await backEndState(s), beforeState);
    assert.deepEqual(await servedScripts(s, macs), scriptsBefore);
  });

  it("target-service exports only a disk image-service says is the project's: no host file, device or other project's disk", async () => {
    const admin = { authorization: "Bearer admin-token" };
    await s.image.importImage({ project: "p2", name: "base", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false }, admin);
    await s.image.createDisk({ project: "p2", name: "d2", image: "base" }, admin);
    const p1Disk = (await s.image.getDisk({ project: "p1", name: "n1-1" }, admin)).disk!.backing!;
    const tgtdBefore = await s.tgtd.tgtadm(["--mode", "target", "--op", "show"]);
    // Even through the orchestrator's own certificate, speaking for bob (project p2).
    const asOrch = createClient(TargetServiceClient, addresses()["bmi.target.v1.TargetService"]!, { deadlineMs: 10_000, tls: testClientTls("orchestrator") });
    const bob = { onBehalfOf: { user: "bob", projects: ["p2"], admin: false } };
    const iqn = "iqn.2026-01.org.evil:x";
    const file = (p: string) => ({ file: { path: p } });
    try {
      const refused: Array<[string, () => Promise<unknown>, string]> = [
        ["a host file under a disk name that does not exist", () => asOrch.createTarget({ project: "p2", disk: "shadow", backing: file("/etc/shadow"), initiatorIqn: iqn, placement: undefined }, bob), "NOT_FOUND"],
        ["a host file behind the project's own disk", () => asOrch.createTarget({ project: "p2", disk: "d2", backing: file("/etc/shadow"), initiatorIqn: iqn, placement: undefined }, bob), "INVALID_ARGUMENT"],
        ["a device behind the project's own disk", () => asOrch.createTarget({ project: "p2", disk: "d2", backing: file("/dev/sda"), initiatorIqn: iqn, placement: undefined }, bob), "INVALID_ARGUMENT"],
        ["another project's disk under its own project", () => asOrch.createTarget({ project: "p2", disk: "n1-1", backing: p1Disk, initiatorIqn: iqn, placement: undefined }, bob), "NOT_FOUND"],
        ["another project's disk under that project", () => asOrch.createTarget({ project: "p1", disk: "n1-1", backing: p1Disk, initiatorIqn: iqn, placement: undefined }, bob), "NOT_FOUND"],
        ["another project's disk's file, by an admin, behind another disk", () => s.target.createTarget({ project: "p2", disk: "d2", backing: p1Disk, initiatorIqn: iqn, placement: undefined }, admin), "INVALID_ARGUMENT"],
        ["a host file by an admin", () => s.target.createTarget({ project: "p1", disk: "n1-2", backing: file("/etc/shadow"), initiatorIqn: iqn, placement: undefined }, admin), "NOT_FOUND"],
      ];
      for (const [what, call, code] of refused) await assert.rejects(call(), { code }, what);
      assert.equal(await s.tgtd.tgtadm(["--mode", "target", "--op", "show"]), tgtdBefore);
      // The project's own disk, with no backing named: exported as image-service describes it.
      const ok = await asOrch.createTarget({ project: "p2", disk: "d2", backing: undefined, initiatorIqn: iqn, placement: undefined }, bob);
      assert.equal(ok.target?.backing?.file?.path, (await s.image.getDisk({ project: "p2", name: "d2" }, admin)).disk?.backing?.file?.path);
      await asOrch.deleteTarget({ project: "p2", disk: "d2" }, bob);
    } finally {
      asOrch.close();
    }
  });

  it("keeps no user credentials at rest: jobs carry the user's identity, and CHAP secrets leave them when they end", async () => {
    const admin = { authorization: "Bearer admin-token" };
    const chap = (await s.target.getTarget({ project: "p1", disk: "n1-1" }, admin)).target?.chap?.secret ?? "";
    assert.ok(chap.length >= 12, "the target has a CHAP secret");
    const leaks: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await s.redis.scan(cursor, "MATCH", `${s.prefix}orch:*`, "COUNT", 1000);
      cursor = next;
      for (const k of keys) {
        const type = await s.redis.type(k);
        const values = type === "hash" ? Object.values(await s.redis.hgetall(k)) : type === "string" ? [await s.redis.get(k) ?? ""]
          : type === "list" ? await s.redis.lrange(k, 0, -1) : type === "zset" ? await s.redis.zrange(k, "0", "-1") : [];
        for (const v of values) {
          for (const secret of [ALICE, "alice-pw", Buffer.from("alice:alice-pw").toString("base64"), chap]) {
            if (v.includes(secret)) leaks.push(`${k} holds ${secret === chap ? "the CHAP secret" : "alice's credentials"}`);
          }
        }
      }
    } while (cursor !== "0");
    assert.deepEqual(leaks, []);
    const job = await s.redis.hgetall(`${s.prefix}orch:job:${jobId()}`);
    assert.equal(job.state, "SUCCEEDED");
    assert.equal(job.auth, undefined, "the principal went with the job's end");
  });
});
