import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { BootPhase, BootPhaseEvent, JobEvent, NodeEvent } from "@bmi/proto/bmi/events/v1/events";
import { ADMIN, harness } from "../testkit/harness";
import { EventShapeError, jobEventBytes, nodeEventBytes, parseJobEvent, parseNodeEvent } from "./events";
import { LUA_DIR, SCRIPT_FILES } from "./lua/scripts";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };

test("every .lua file a script is made of is there (loading them is what importing the engine does), and none is unused", async () => {
  const files = (await readdir(LUA_DIR)).filter((f) => f.endsWith(".lua")).map((f) => f.slice(0, -4)).sort();
  const used = [...new Set(Object.values(SCRIPT_FILES).flat())].sort();
  assert.deepEqual(files, used);
});

test("every event the runner and the Lua scripts queue for NATS matches its proto message, every kind of event", async (t) => {
  // No publisher: the events stay in the relay queue, exactly as the scripts wrote them.
  const h = await harness("contracts");
  t.after(() => h.close());
  const e = h.engines[0]!;
  // A boot phase as boot-join.ts hands it to the script: joined to the job holding the node, then moving the node.
  const served = (dedupe: string) => e.store.bootSeen("c1", "p1", "SCRIPT_SERVED",
    JSON.stringify(BootPhaseEvent.toJSON(BootPhaseEvent.fromPartial({ node: "c1", project: "p1", phase: BootPhase.BOOT_PHASE_SCRIPT_SERVED,
      time: new Date(), mac: "52:54:00:00:00:01", remoteAddress: "10.0.0.9", attempt: 1 }))), `${h.prefix}${dedupe}`);
  h.executor.delay("boot_config", 1000);
  const ok = await h.provisioning.provision(ADMIN, "p1", { node: "c1", image: "img" }, OPTS);
  for (let i = 0; (await e.queries.job(ok.id))?.steps.find((s) => s.name === "boot_config")?.state !== "RUNNING"; i++) {
    assert.ok(i < 200, "boot_config never ran");
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await served("a"), ok.id);
  h.executor.delay("boot_config", 0);
  await h.waitJob(ok.id);
  await served("b");
  await h.waitJob((await h.provisioning.deprovision(ADMIN, "p1", "c1", true, true)).id);
  h.executor.fail("target", { node: "c2" });
  await h.waitJob((await h.provisioning.provision(ADMIN, "p1", { node: "c2", image: "img" }, OPTS)).id);
  h.executor.fail("disk", { node: "c4" });
  await h.waitJob((await h.provisioning.bulk(ADMIN, "p1", { specs: ["c3", "c4", "c5"].map((node) => ({ node, image: "img" })),
    maxParallel: 2, minSuccess: 0, options: OPTS })).id);
  h.executor.delay("disk", 2000);
  const slow = await h.provisioning.provision(ADMIN, "p1", { node: "c6", image: "img" }, OPTS);
  await h.access.cancel(ADMIN, slow.id);
  await h.waitJob(slow.id);

  const cases = new Set<string>();
  const nodeStates = new Set<string>();
  for (const entry of await h.redis.lrange(`${h.prefix}relay`, 0, -1)) {
    const [kind, key, seq, ...rest] = entry.split("\n");
    if (kind === "job") {
      const ev = parseJobEvent(rest.join("\n"), key!, Number(seq));
      assert.ok(ev.time, `event ${key}:${seq} has its time`);
      // What the relay publishes: the same bytes as the message read and encoded by ts-proto.
      assert.deepEqual(Buffer.from(jobEventBytes(rest.join("\n"), key!, Number(seq))), Buffer.from(JobEvent.encode(ev).finish()), `event ${key}:${seq}`);
      for (const c of ["created", "stepStarted", "stepSucceeded", "stepFailed", "stepUndone", "finished", "childFinished", "boot"] as const) {
        if (ev[c]) cases.add(c);
      }
    } else {
      const ev = parseNodeEvent(rest.join("\n"));
      nodeStates.add(ev.state);
      assert.deepEqual(Buffer.from(nodeEventBytes(rest.join("\n"))), Buffer.from(NodeEvent.encode(ev).finish()));
    }
  }
  assert.deepEqual([...cases].sort(), ["boot", "childFinished", "created", "finished", "stepFailed", "stepStarted", "stepSucceeded", "stepUndone"]);
  assert.deepEqual([...nodeStates].sort(), ["NODE_STATE_BOOTING", "NODE_STATE_DEPROVISIONED", "NODE_STATE_DEPROVISIONING",
    "NODE_STATE_PROVISIONING", "NODE_STATE_READY"]);
});

test("an event with a misspelt field or an unknown enum name is refused, where ts-proto's fromJSON would drop it", () => {
  const misspelt = JSON.stringify({ time: new Date().toISOString(), finished: { state: "JOB_STATE_FAILED", eror: "disk: broke" } });
  assert.throws(() => parseJobEvent(misspelt, "j1", 1), (err: Error) => err instanceof EventShapeError && /eror/.test(err.message));
  assert.equal(JobEvent.fromJSON(JSON.parse(misspelt)).finished?.error, "", "what the relay used to send");
  const badPhase = JSON.stringify({ time: new Date().toISOString(), boot: { node: "n1", phase: "BOOT_PHASE_SERVED" } });
  assert.throws(() => parseJobEvent(badPhase, "j1", 2), EventShapeError);
  assert.throws(() => parseNodeEvent(JSON.stringify({ node: "n1", sate: "NODE_STATE_READY" })), EventShapeError);
  assert.throws(() => jobEventBytes(misspelt, "j1", 1), EventShapeError, "the relay's bytes are checked the same way");
  assert.throws(() => nodeEventBytes(JSON.stringify({ node: "n1", sate: "NODE_STATE_READY" })), EventShapeError);
  assert.equal(parseNodeEvent(JSON.stringify({ node: "n1", state: "NODE_STATE_READY", jobId: "j1", time: new Date().toISOString() })).state,
    "NODE_STATE_READY");
});
