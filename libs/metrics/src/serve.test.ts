import { test } from "node:test";
import assert from "node:assert/strict";
import { counter, histogram, serveMetrics, timed } from "./index";

test("serves the registry at GET /metrics, and nothing else", async () => {
  const hits = counter("bmi_test_hits_total", "test hits", ["kind"]);
  hits.inc({ kind: "a" }, 2);
  const endpoint = await serveMetrics("127.0.0.1:0");
  try {
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^bmi_test_hits_total\{kind="a"\} 2$/m);
    assert.equal((await fetch(`http://127.0.0.1:${endpoint.port}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${endpoint.port}/metrics`, { method: "POST" })).status, 404);
  } finally {
    await endpoint.close();
  }
});

test("a metric declared twice is the same series; timed keeps failures apart from successes", async () => {
  const h = histogram("bmi_test_op_seconds", "test ops", ["op", "outcome"]);
  assert.equal(histogram("bmi_test_op_seconds", "test ops", ["op", "outcome"]), h);
  await timed(h, { op: "x" }, async () => "ok");
  await assert.rejects(timed(h, { op: "x" }, async () => { throw new Error("boom"); }), /boom/);
  const values = (await h.get()).values.filter((v) => v.metricName === "bmi_test_op_seconds_count");
  const count = (outcome: string) => values.find((v) => v.labels.outcome === outcome)?.value;
  assert.equal(count("ok"), 1);
  assert.equal(count("error"), 1);
});
