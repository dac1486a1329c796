import { after, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "nats";
import type { AuditEntry } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { freePort, tempDir } from "@bmi/testing";
import { auditProjectSubject } from "./audit-subjects";
import { readAuditRecords } from "./audit-reader";
import { AuditTrail } from "./audit-trail";

const entry = (n: number, project = "p1"): AuditEntry => ({
  time: new Date(), service: "image-service", method: "/bmi.image.v1.ImageService/DeleteImage", requestId: `r${n}`,
  caller: { user: "alice", admin: false, service: "orchestrator" }, project, resources: [`img${n}`], code: "OK", peer: "127.0.0.1:1",
});

it("keeps records in memory while NATS is away, then publishes them to a bounded stream the reader answers from", async () => {
  const dir = tempDir("bmi-audit-nats-");
  const port = await freePort();
  const trail = new AuditTrail({ servers: [`nats://127.0.0.1:${port}`], log: silentLogger(), stream: "BMI_AUDIT_TEST",
    maxAgeMs: 3600_000, maxBytes: 8 << 20 }).start();
  let nats: ChildProcess | undefined;
  after(async () => {
    await trail.close();
    nats?.kill("SIGKILL");
  });

  for (let i = 1; i <= 3; i++) trail.record(entry(i));
  trail.record(entry(4, "../hostile project>*"));
  nats = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: "ignore" });
  await trail.drained(20_000);

  const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
  const info = await (await nc.jetstreamManager()).streams.info("BMI_AUDIT_TEST");
  assert.deepEqual([info.state.messages, info.config.max_bytes, info.config.max_age], [4, 8 << 20, 3600e9]);
  const page = await readAuditRecords(nc, { stream: "BMI_AUDIT_TEST", subjects: [auditProjectSubject("p1")],
    since: new Date(Date.now() - 60_000), until: new Date(Date.now() + 1000), limit: 2, match: (r) => r.project === "p1" });
  assert.deepEqual(page.records.map((r) => [r.resources[0], r.user, r.callerService, r.accepted, r.code]),
    [["img2", "alice", "orchestrator", true, "OK"], ["img3", "alice", "orchestrator", true, "OK"]]);
  assert.equal(page.truncated, true, "three matched, two answered");
  // A name no project can have goes under '_', never into the subject.
  const hostile = await readAuditRecords(nc, { stream: "BMI_AUDIT_TEST", subjects: ["bmi-audit._.*"],
    since: new Date(Date.now() - 60_000), until: new Date(Date.now() + 1000), limit: 10, match: () => true });
  assert.deepEqual(hostile.records.map((r) => r.project), ["../hostile project>*"]);
  await nc.close();
});
