import { after, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, RetentionPolicy, StorageType } from "nats";
import { freePort } from "@bmi/testing";
import { AckedPublisher } from "./acked-publish";

// A message counts as sent only once JetStream acknowledged it: the relay's at-least-once guarantee rests on that.
it("resolves on JetStream's ack (a re-sent id is dropped), rejects where no stream takes the subject", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "bmi-acked-"));
  const port = await freePort();
  const nats = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: "ignore" });
  const pub = new AckedPublisher(4);
  after(async () => {
    pub.close();
    if (nats.exitCode === null) {
      nats.kill("SIGKILL");
      await new Promise((r) => nats.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  });
  let nc: Awaited<ReturnType<typeof connect>> | undefined;
  for (let i = 0; i < 50 && !nc; i++) nc = await connect({ servers: `127.0.0.1:${port}` }).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)));
  assert.ok(nc, "nats-server started");
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: "T", subjects: ["t.>"], retention: RetentionPolicy.Limits, storage: StorageType.Memory, duplicate_window: 60e9 });

  // More than maxPending at once: the rest wait for a slot, and all are stored.
  await Promise.all(Array.from({ length: 10 }, (_, i) => pub.publish(nc!, `t.${i}`, Buffer.from(`m${i}`), `id-${i}`, 2000)));
  await pub.publish(nc, "t.0", Buffer.from("again"), "id-0", 2000);
  assert.equal((await jsm.streams.info("T")).state.messages, 10, "ten stored, the re-sent id dropped");

  await assert.rejects(pub.publish(nc, "nostream.x", Buffer.from("x"), "id-x", 2000), /JetStream did not take nostream\.x|no JetStream ack/);
  await nc.close();
  await assert.rejects(pub.publish(nc, "t.1", Buffer.from("x"), "id-y", 2000));
});
