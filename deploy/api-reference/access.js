"use strict";
// Who may call an RPC, from the last line of its comment, which is one of:
//   Access: members                       any authenticated caller, for their own projects' resources
//   Access: admins                        admins only
//   Access: internal (orchestrator)       only these BMI services' certificates (comma separated) or an admin
// libs/grpc's AccessTable in each service is what enforces it; test/src/api/access-doc.test.ts checks the two agree.
const LINE = /^Access: (members|admins|internal \(([a-z-]+(?:, [a-z-]+)*)\))$/;

/** Splits an RPC's comment into its description and its access rule; `problem` says what is missing. */
function accessOf(comment) {
  const lines = comment.split("\n");
  const last = lines[lines.length - 1] ?? "";
  const m = LINE.exec(last.trim());
  const text = (m ? lines.slice(0, -1) : lines).join("\n").trim();
  if (!m) return { text, problem: text ? 'no "Access:" line last' : 'no comment and no "Access:" line' };
  const access = m[2] ? { kind: "internal", services: m[2].split(", "), short: `internal: ${m[2]}` } : { kind: m[1], short: m[1] };
  return { text, access, problem: text ? "" : "no description" };
}

function describeAccess(a) {
  if (a.kind === "members") return "members (their own projects' resources) and admins";
  if (a.kind === "admins") return "admins only";
  return `internal: the ${a.services.join(" and ")} certificate${a.services.length > 1 ? "s" : ""} (forwarding its user) and admins`;
}

module.exports = { accessOf, describeAccess, ACCESS_LINE: LINE };
