#!/usr/bin/env node
// Container health check: exits 0 when the service named by BMI_SERVICE answers grpc.health.v1 SERVING.
"use strict";
const path = require("node:path");
const { checkHealth } = require(path.join(__dirname, "..", "libs", "testing", "dist", "health.js"));
const ports = { orchestrator: 50050, "image-service": 50051, "target-service": 50052, "boot-service": 50053, "haas-gateway": 50054 };
const port = ports[process.env.BMI_SERVICE] ?? 50050;
// Over TLS trusting the service's own CA, as every client does (plaintext only where the service runs BMI_TLS=off).
const ca = process.env.BMI_TLS === "off" ? undefined : process.env.BMI_TLS_CA;
checkHealth(`127.0.0.1:${port}`, "", 2000, ca).then(
  (s) => process.exit(s === "SERVING" ? 0 : 1),
  () => process.exit(1),
);
