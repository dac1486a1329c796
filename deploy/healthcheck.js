#!/usr/bin/env node
// Container health check: exits 0 when the service named by BMI_SERVICE answers grpc.health.v1 SERVING.
"use strict";
const path = require("node:path");
const { checkHealth } = require(path.join(__dirname, "..", "libs", "testing", "dist", "health.js"));
const ports = { orchestrator: 50050, "image-service": 50051, "target-service": 50052, "boot-service": 50053, "haas-gateway": 50054 };
const port = ports[process.env.BMI_SERVICE] ?? 50050;
checkHealth(`127.0.0.1:${port}`, "", 2000).then(
  (s) => process.exit(s === "SERVING" ? 0 : 1),
  () => process.exit(1),
);
