import { it } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { AbortedError, InvalidArgumentError, UnavailableError } from "@bmi/errors";
import { toStatus } from "./status";

it("maps every domain error to its code and anything else to INTERNAL", () => {
  assert.deepEqual(toStatus(new InvalidArgumentError("bad name")), { code: status.INVALID_ARGUMENT, details: "bad name", unexpected: false });
  assert.equal(toStatus(new UnavailableError("tgtd down")).code, status.UNAVAILABLE);
  assert.equal(toStatus(new AbortedError("lock lost")).code, status.ABORTED);
  assert.deepEqual(toStatus(new TypeError("x is undefined")), { code: status.INTERNAL, details: "internal error", unexpected: true });
});
