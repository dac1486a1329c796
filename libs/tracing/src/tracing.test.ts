import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fromHeaders, inSpan, openSpan, startTracing, traceHeaders, tracingOn, within } from "./index";

test("off until started: no trace headers, spans are not made, work runs as it is", async () => {
  assert.equal(tracingOn(), false);
  assert.deepEqual(traceHeaders(), {});
  assert.equal(await inSpan("x", {}, async () => 42), 42);
  assert.deepEqual(traceHeaders(openSpan("y").context), {});
});

test("started: spans nest, a traceparent carries the trace to another side, shutdown sends them over OTLP/HTTP", async () => {
  const bodies: string[] = [];
  const collector = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => { bodies.push(body); res.writeHead(200, { "content-type": "application/json" }).end("{}"); });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const tracing = startTracing("test-service", `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`);
  try {
    let sent: Record<string, string> = {};
    await inSpan("outer", {}, async () => { sent = traceHeaders(); });
    assert.match(sent.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const remote = openSpan("remote", { parent: fromHeaders((k) => sent[k]) });
    const inner = within(remote, () => traceHeaders());
    remote.end();
    assert.equal(inner.traceparent?.split("-")[1], sent.traceparent?.split("-")[1], "the other side continues the trace");
  } finally {
    await tracing.shutdown();
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  }
  const spans = bodies.flatMap((b) => (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> })
    .resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name))));
  assert.deepEqual(spans.sort(), ["outer", "remote"]);
  assert.match(bodies[0] ?? "", /"test-service"/);
  assert.equal(tracingOn(), false);
});
