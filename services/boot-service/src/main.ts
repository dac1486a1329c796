import { loadConfigOrExit, serverProblems } from "@bmi/config";
import { auditTrailOf } from "@bmi/events";
import { runService } from "@bmi/grpc";
import { bootSpec } from "./config";
import { wireBootService } from "./server";

const cfg = loadConfigOrExit("boot-service", bootSpec, (c) => serverProblems(c, "BMI_BOOT_LISTEN"));
void runService("boot-service", cfg, async (server, log) => {
  await wireBootService(server, cfg, log);
}, auditTrailOf(cfg));
