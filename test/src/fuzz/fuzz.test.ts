import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { startStack, type Stack } from "../support/stack";
import { loadBmiServices, serviceName } from "./descriptors";
import { fuzzRequest } from "./fuzz-service";
import { FUZZ_DEFAULTS, fuzzStack } from "./fuzz-stack";
import { figuresTable, problems } from "./report";

// The quick run of `npm test`; `npm run bench -- fuzz` sends 10,000 requests per service.
const CALLS_PER_SERVICE = 500;
test("the descriptors give every BMI service and method, and a request is rebuilt exactly from seed and index", () => {
  const services = loadBmiServices();
  assert.deepEqual(services.map(serviceName).sort(), [
    "bmi.boot.v1.BootService", "bmi.haas.v1.HaasGateway", "bmi.image.v1.ImageService",
    "bmi.orchestrator.v1.Allocation", "bmi.orchestrator.v1.Orchestrator", "bmi.orchestrator.v1.TargetHosts",
    "bmi.target.v1.TargetService",
  ]);
  for (const svc of services) {
    assert.ok(svc.methodsArray.length <= CALLS_PER_SERVICE, `${serviceName(svc)}: every method gets requests`);
    const a = fuzzRequest(svc, 42, 7);
    const b = fuzzRequest(svc, 42, 7);
    const type = a.method.resolvedRequestType!;
    assert.deepEqual(a.messages.map((m) => type.encode(m).finish()), b.messages.map((m) => type.encode(m).finish()));
  }
});

describe("against the five services", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ tag: "fuzz" });
  });
  after(() => s?.stop());

  test("hostile requests to every RPC are answered in time, never INTERNAL or UNKNOWN, and every service stays up", async (t) => {
    const seed = process.env.BMI_FUZZ_SEED ? Number(process.env.BMI_FUZZ_SEED) : randomInt(2 ** 31);
    t.diagnostic(`fuzz seed ${seed}: BMI_FUZZ_SEED=${seed} sends the same requests again`);
    const result = await fuzzStack(s, { seed, calls: CALLS_PER_SERVICE, ...FUZZ_DEFAULTS });
    for (const line of figuresTable(result.figures).split("\n")) t.diagnostic(line);
    assert.deepEqual(problems(result, seed), []);
  });
});
