import type { Handlers } from "@bmi/grpc";
import type { OrchestratorService } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { Doctor } from "./doctor";
import { recordCheck } from "./timer";

/** CheckDrift: admins only (the access table), every project's back ends read and repaired as that admin. */
export function doctorHandlers(doctor: Doctor): Pick<Handlers<typeof OrchestratorService>, "checkDrift"> {
  return {
    async checkDrift(req, ctx) {
      const res = await doctor.check(req.repair, { ctx });
      recordCheck(res);
      return res;
    },
  };
}
