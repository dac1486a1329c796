import { loadConfigOrExit } from "@bmi/config";
import { runService } from "@bmi/grpc";
import { bootSpec } from "./config";
import { wireBootService } from "./server";

const cfg = loadConfigOrExit("boot-service", bootSpec);
void runService("boot-service", cfg, async (server, log) => {
  await wireBootService(server, cfg, log);
});
