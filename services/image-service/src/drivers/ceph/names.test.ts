import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CephError, ERRNO } from "./rbd";
import { mapped, translateCephError } from "./names";

// The Ceph translator (issue 21 point 2): librbd's and librados' errno as the domain error a caller acts on, never
// INTERNAL for a failure the back end names. Table-driven: the errno cases need no cluster.
describe("translateCephError", () => {
  const cases: Array<[string, number, string, RegExp]> = [
    ["missing", ERRNO.ENOENT, "NOT_FOUND", /disk p1\/d1 not found/],
    ["existing", ERRNO.EEXIST, "ALREADY_EXISTS", /already exists/],
    ["in use", ERRNO.EBUSY, "FAILED_PRECONDITION", /is in use/],
    ["with dependents", ERRNO.ENOTEMPTY, "FAILED_PRECONDITION", /has dependents/],
    ["the pool full", ERRNO.ENOSPC, "RESOURCE_EXHAUSTED", /pool is full or over its quota/],
    ["the pool over its quota", ERRNO.EDQUOT, "RESOURCE_EXHAUSTED", /pool is full or over its quota/],
    ["BMI's user refused", ERRNO.EPERM, "FAILED_PRECONDITION", /check its capabilities/],
    ["BMI's user refused (EACCES)", ERRNO.EACCES, "FAILED_PRECONDITION", /check its capabilities/],
    ["the cluster silent", ERRNO.ETIMEDOUT, "UNAVAILABLE", /Ceph did not answer/],
    ["the cluster gone", ERRNO.ENOTCONN, "UNAVAILABLE", /Ceph did not answer/],
    ["this client blocklisted (ESHUTDOWN)", 108, "UNAVAILABLE", /Ceph did not answer/],
  ];
  for (const [what, errno, code, message] of cases) {
    it(`${what} is ${code}`, () => {
      const err = translateCephError(new CephError("rbd_open", errno), "disk p1/d1") as Error & { code?: string; cause?: unknown };
      assert.equal(err.code, code);
      assert.match(err.message, message);
      assert.ok(err.cause instanceof CephError, "the librbd error stays as the cause");
    });
  }

  it("leaves an errno it cannot name, and anything not Ceph's, as it is", () => {
    const odd = new CephError("rbd_open", ERRNO.EXDEV);
    assert.equal(translateCephError(odd, "disk p1/d1"), odd);
    const other = new Error("not Ceph's");
    assert.equal(translateCephError(other, "disk p1/d1"), other);
  });

  it("mapped() throws the translated error", async () => {
    await assert.rejects(mapped("image p1/i1", async () => { throw new CephError("rbd_create", ERRNO.ENOSPC); }), { code: "RESOURCE_EXHAUSTED" });
  });
});
