import type { CallOpts } from "@bmi/grpc";
import type { StepContext, StepResult } from "../engine/executor";
import type { ServiceClients } from "./clients";

/** What a step implementation needs besides its context. */
export interface StepEnv {
  clients: ServiceClients;
  /** Call options for one step: the job's credentials, a deadline, and the step's abort signal. */
  call(ctx: StepContext): CallOpts;
  /** Resolves once boot-service has seen the node attempt its boot (boot_seen). */
  waitForBoot(ctx: StepContext): Promise<StepResult>;
}

export interface StepImpl {
  run(ctx: StepContext, env: StepEnv): Promise<StepResult | void>;
  /** Absent: nothing to undo. */
  undo?(ctx: StepContext, env: StepEnv): Promise<void>;
}

export type StepTable = Record<string, StepImpl>;
