#!/usr/bin/env node
// Writes the configuration reference (Markdown, stdout) from the settings each service parses at start-up (their
// built src/config.ts: run after `tsc -b`). `npm run gen:config` writes it into docs/config.md; gen-check.sh fails
// when that file differs, or when a setting has no help text.
"use strict";
const path = require("node:path");
const { configReference } = require("@bmi/config");

const root = path.resolve(__dirname, "..");
const spec = (service, name) => ({ service, spec: require(path.join(root, "services", service, "dist", "config.js"))[name] });
const services = [
  spec("orchestrator", "orchSpec"), spec("image-service", "imageConfigSpec"), spec("target-service", "targetSpec"),
  spec("boot-service", "bootSpec"), spec("haas-gateway", "haasSpec"),
];
const undocumented = services.flatMap(({ service, spec: s }) => Object.values(s).filter((f) => !f.help).map((f) => `${service} ${f.env}`));
if (undocumented.length > 0) {
  process.stderr.write(`config reference: settings without help: ${[...new Set(undocumented)].join(", ")}\n`);
  process.exit(1);
}
process.stdout.write(configReference(services));
