import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CredentialSeal, type Principal } from "./principal";

const who = { user: "alice", projects: ["p1"], admin: false, authorization: "Basic YWxpY2U6c2VjcmV0" };

test("without a key a job keeps the user's identity and never their credentials", () => {
  const stored = new CredentialSeal(undefined).principal(who);
  assert.doesNotMatch(stored, /YWxpY2U6c2VjcmV0|secret/);
  assert.deepEqual(JSON.parse(stored), { user: "alice", projects: ["p1"], admin: false });
  assert.deepEqual(new CredentialSeal(undefined).callOptions(stored), { onBehalfOf: { user: "alice", projects: ["p1"], admin: false } });
});

test("HIL pass-through seals the header: stored unreadable, opened only with the same key, tampering detected", () => {
  const seal = new CredentialSeal(randomBytes(32));
  const stored = seal.principal(who);
  assert.doesNotMatch(stored, /YWxpY2U6c2VjcmV0/);
  assert.equal(seal.callOptions(stored).authorization, who.authorization);
  assert.throws(() => new CredentialSeal(randomBytes(32)).callOptions(stored));
  const p = JSON.parse(stored) as Principal;
  const [iv, tag, data] = p.sealed!.split(".");
  const flipped = Buffer.from(data!, "base64url");
  flipped[0] = flipped[0]! ^ 1;
  assert.throws(() => seal.callOptions(JSON.stringify({ ...p, sealed: [iv, tag, flipped.toString("base64url")].join(".") })));
  assert.throws(() => new CredentialSeal(randomBytes(16)), /32 bytes/);
});
