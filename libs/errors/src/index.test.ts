import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, NotFoundError } from "./index";

test("a message echoing a huge request value keeps its start and end and stays about 1 KiB", () => {
  const err = new InvalidArgumentError(`node name ${JSON.stringify("é".repeat(65536))} is invalid: use lowercase letters`);
  assert.ok(err.message.length < 1100, `${err.message.length} characters`);
  assert.match(err.message, /^node name "ééé/);
  assert.match(err.message, /characters left out/);
  assert.match(err.message, /" is invalid: use lowercase letters$/);
});

test("a message is well-formed UTF-16, so it can be percent-encoded into the status trailer", () => {
  const err = new NotFoundError(`node \ud800x\udc00 not found`);
  assert.equal(err.message, "node \ufffdx\ufffd not found");
  assert.doesNotThrow(() => encodeURI(err.message));
  assert.equal(new NotFoundError("image 💥 not found").message, "image 💥 not found");
});
