import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN, harness } from "../testkit/harness";

const OPTS = { powerCycle: false, waitForBoot: false, bootTimeoutSeconds: 0 };

test("a job its create claimed has its first step's start sent to Redis before the create's caller goes on", async (t) => {
  const h = await harness("firstwrite");
  t.after(() => h.close());
  // As the orchestrator runs it (server.ts): commands queued in one turn of the event loop leave together after it.
  h.redis.options.enableAutoPipelining = true;
  const sent: Array<{ name: string; args: unknown[] }> = [];
  const send = h.redis.sendCommand.bind(h.redis);
  h.redis.sendCommand = ((command: { name: string; args: unknown[] }, stream?: unknown) => {
    sent.push({ name: command.name, args: [...command.args] });
    return (send as (c: unknown, s?: unknown) => unknown)(command, stream);
  }) as typeof h.redis.sendCommand;
  const job = await h.provisioning.provision(ADMIN, "p1", { node: "w1", image: "img" }, OPTS);
  // The caller (the handler: the reply, its audit record) goes on only now; the job's first write (a script naming
  // the job) has left already.
  const firstWrite = sent.some((c) => c.name === "evalsha" && c.args.includes(job.id));
  assert.ok(firstWrite, `sent before the create answered its caller: ${sent.map((c) => c.name).join(", ")}`);
  assert.equal((await h.waitJob(job.id)).state, "SUCCEEDED");
});
