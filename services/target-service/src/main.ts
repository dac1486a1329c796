import { loadConfigOrExit, serverProblems } from "@bmi/config";
import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { targetSpec } from "./config";
import { wireTargetService } from "./server";

const cfg = loadConfigOrExit("target-service", targetSpec, (c) => serverProblems(c, "BMI_TARGET_LISTEN"));
void runService("target-service", cfg, async (server, log) => {
  await wireTargetService(server, cfg, log);
}, auditTrailOf(cfg));
