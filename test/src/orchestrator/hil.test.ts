import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ImageFormat } from "@bmi/proto/bmi/image/v1/image";
import { JobState, type Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { startHilSim, type HilSim } from "@bmi/testing";
import { goldenImage, startStack, until, type Stack } from "../support/stack";

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
const ALICE = basic("alice", "alice-pw");
const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };

/**
 * The orchestrator's jobs through haas-gateway's hil driver to the HIL simulator, in HIL's two modes: BMI's own
 * service account (BMI enforces project ownership), and pass-through, where a job that outlives its request keeps
 * its user's header only sealed. Either way Redis never holds the user's password or token in clear.
 */
for (const mode of ["service account", "pass-through"] as const) {
  describe(`provisioning through HIL, ${mode}`, () => {
    let sim: HilSim;
    let s: Stack;
    let dir: string;
    before(async () => {
      sim = await startHilSim({ pendingMs: 20 });
      sim.state.addUser("bmi-svc", "svc-pw", { admin: true });
      sim.state.addUser("alice", "alice-pw", { projects: ["p1"] });
      sim.state.addUser("root", "root-pw", { admin: true });
      sim.state.addNetwork("net1", { owner: "p1", access: ["p1"] });
      for (const [i, n] of ["h1", "h2"].entries()) sim.state.addNode(n, { nics: [{ label: "eth0", mac: `52:54:00:ee:00:0${i + 1}`, port: `p${i}` }] });
      dir = await mkdtemp(path.join(tmpdir(), "bmi-hil-"));
      const usersFile = path.join(dir, "users.yaml");
      await writeFile(usersFile, "users:\n  - {name: root, password: root-pw, admin: true}\n  - {name: alice, password: alice-pw, projects: [p1]}\n");
      const haasEnv: Record<string, string> = { BMI_HAAS_DRIVER: "hil", BMI_HAAS_HIL_URL: sim.url };
      const orchEnv: Record<string, string> = {};
      if (mode === "service account") {
        await writeFile(path.join(dir, "hil.pass"), "svc-pw\n");
        Object.assign(haasEnv, { BMI_HAAS_HIL_USER: "bmi-svc", BMI_HAAS_HIL_PASSWORD_FILE: path.join(dir, "hil.pass") });
      } else {
        await writeFile(path.join(dir, "seal.key"), randomBytes(32).toString("hex"));
        Object.assign(orchEnv, { BMI_ORCH_PASS_CREDENTIALS: "true", BMI_ORCH_CREDENTIAL_KEY_FILE: path.join(dir, "seal.key") });
      }
      s = await startStack({ tag: `hil-${mode === "pass-through" ? "pt" : "sa"}`, haasEnv, orchEnv,
        auth: { usersFile, admin: basic("root", "root-pw") } });
      await s.image.importImage({ project: "p1", name: "golden", filePath: await goldenImage(s.dir), format: ImageFormat.IMAGE_FORMAT_RAW, public: false },
        { authorization: basic("root", "root-pw") });
    });
    after(async () => {
      await s?.stop();
      await sim?.close();
      await rm(dir, { recursive: true, force: true });
    });

    const waitJob = (id: string) => until<Job>(`job ${id}`, async () => {
      const j = (await s.orch.getJob({ id }, { authorization: ALICE })).job;
      return j && [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED].includes(j.state) && j;
    }, 60_000);

    it("a bulk job of a member allocates, networks and releases nodes in HIL; Redis never holds her credentials", async () => {
      const seen: string[] = [];
      const watch = setInterval(() => void s.redis.keys(`${s.prefix}orch:job:*`).then(async (keys) => {
        for (const k of keys) if ((await s.redis.type(k)) === "hash") seen.push(JSON.stringify(await s.redis.hgetall(k)));
      }).catch(() => undefined), 20);
      const { job } = await s.orch.bulkProvision({ project: "p1", specs: { specs: ["h1", "h2"].map((node) => ({ node, image: "golden", disk: "", nic: "", network: "net1" })) },
        maxParallel: 1, minSuccess: 0, allOrNothing: true, options: OPTS, idempotencyKey: "" }, { authorization: ALICE });
      const done = await waitJob(job!.id);
      clearInterval(watch);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
      assert.equal(sim.state.node("h1").project, "p1");
      for (const record of seen) {
        assert.ok(!record.includes("alice-pw") && !record.includes(ALICE.slice(6)), "a job record held alice's credentials in clear");
      }
      const hil = sim.requests.filter((r) => r.method !== "GET" || r.path.includes("/node/"));
      if (mode === "service account") {
        assert.ok(hil.length > 0 && sim.requests.every((r) => r.authorization === basic("bmi-svc", "svc-pw")), "only BMI's account reached HIL");
      } else {
        assert.ok(sim.requests.some((r) => r.authorization === ALICE), "alice's own credentials reached HIL");
        assert.ok(seen.some((r) => r.includes("sealed")), "the running job kept her header sealed");
      }
      for (const node of ["h1", "h2"]) {
        const { job: d } = await s.orch.deprovisionNode({ project: "p1", node, deleteDisk: true, releaseNode: true, idempotencyKey: "" }, { authorization: ALICE });
        assert.equal((await waitJob(d!.id)).state, JobState.JOB_STATE_SUCCEEDED);
      }
      assert.equal(sim.state.node("h1").project, null);
    });

    it("a provision whose power cycle HIL answers with 409 BlockedError (OBM not enabled) is retried and succeeds", async () => {
      // HIL answers BlockedError to every OBM call while the node's OBM is disabled (hil/api.py _obmd_redirect).
      sim.failRequests(3, 409, "BlockedError", /\/power_cycle$/, "OBM is not enabled");
      const { job } = await s.orch.provisionNode({ project: "p1", spec: { node: "h2", image: "golden", disk: "", nic: "", network: "net1" },
        options: { ...OPTS, powerCycle: true }, idempotencyKey: "" }, { authorization: ALICE });
      const done = await waitJob(job!.id);
      sim.failRequests(0);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
      assert.equal(sim.state.node("h2").power, "on");
      const { job: d } = await s.orch.deprovisionNode({ project: "p1", node: "h2", deleteDisk: true, releaseNode: true, idempotencyKey: "" }, { authorization: ALICE });
      assert.equal((await waitJob(d!.id)).state, JobState.JOB_STATE_SUCCEEDED);
    });
  });
}
