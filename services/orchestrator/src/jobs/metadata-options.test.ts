import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { validateOptions } from "./inputs";

const base = { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 0 };

describe("provision options: the node's metadata and waiting for its OS", () => {
  it("takes RFC 1123 host names, user-data up to 64 KiB, wait_for_userspace with wait_for_boot", () => {
    validateOptions({ ...base, hostname: "web-1.example.org", userData: "#!/bin/sh\necho hi\n", waitForUserspace: true });
    validateOptions({ ...base, hostname: "a".repeat(63), userData: "x".repeat(64 * 1024) });
  });

  it("refuses what would break the node's meta-data or its boot wait, before any job exists", () => {
    for (const hostname of ["-web", "web_1", "web 1", "bad\nlocal-hostname: x", `${"a".repeat(64)}.example`, "a.".repeat(127) + "ab"]) {
      assert.throws(() => validateOptions({ ...base, hostname }), /not an RFC 1123 host name/, JSON.stringify(hostname));
    }
    assert.throws(() => validateOptions({ ...base, userData: "x".repeat(64 * 1024 + 1) }), /over 64 KiB/);
    assert.throws(() => validateOptions({ ...base, waitForBoot: false, waitForUserspace: true }), /needs wait_for_boot/);
  });
});
