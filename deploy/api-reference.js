#!/usr/bin/env node
// Writes BMI's API reference (Markdown, stdout) from the descriptor set `buf build` writes, comments included:
// every service, RPC, message, field and enum of bmi.*.v1, and who may call each RPC, from the "Access:" line that
// every RPC's comment ends with. deploy/gen.sh runs it into docs/api.md.
// Usage: api-reference.js proto/gen/bmi.binpb [--strict]
// What lacks a comment (a service, RPC or message without one, an RPC without "Access:") is listed on stderr; with
// --strict (gen-check.sh) that fails, so a contract cannot land undocumented, while `npm run gen` still writes.
"use strict";
const { readComments } = require("./api-reference/comments");
const { loadFiles } = require("./api-reference/load");
const { renderFile, intro } = require("./api-reference/render");

const [file, flag] = process.argv.slice(2);
if (!file) throw new Error("usage: api-reference.js BMI.BINPB [--strict]");
const files = loadFiles(file);
const missing = [];
const sections = files.map((f) => renderFile(f, readComments(f), missing));
process.stdout.write([intro(files), ...sections].join("\n"));
if (missing.length > 0) {
  process.stderr.write(`API reference: ${missing.length} undocumented (a comment on every service, RPC and message; ` +
    `every RPC's ends with an "Access:" line, deploy/api-reference/access.js):\n${missing.map((m) => `  ${m}\n`).join("")}`);
  if (flag === "--strict") process.exitCode = 1;
}
