import type { CallOpts } from "@bmi/grpc";
import type { StepName } from "../engine/plan";
import type { StepContext, StepResult } from "../engine/step-executor";
import type { ServiceClients } from "./clients";

/** What a step implementation needs besides its context. */
export interface StepEnv {
  clients: ServiceClients;
  /** Call options for one step: the job's credentials, a deadline, and the step's abort signal. */
  call(ctx: StepContext): CallOpts;
  /** Resolves once boot-service has seen the node attempt its boot (boot_seen). */
  waitForBoot(ctx: StepContext): Promise<StepResult>;
}

export type RunStep = (ctx: StepContext, env: StepEnv) => Promise<StepResult | void>;
export type UndoStep = (ctx: StepContext, env: StepEnv) => Promise<void>;
/** Whether a step will call nothing, as the steps before it left things (it then takes no limiter slot). */
export type IdleStep = (ctx: StepContext) => boolean;

/** Every step of a plan, by name: `satisfies StepTable<...StepName>` makes a missing or unknown step a compile error. */
export type StepTable<N extends StepName> = Record<N, RunStep>;
/** The steps of a plan that have something to undo (absent: nothing to undo). */
export type UndoTable<N extends StepName> = Partial<Record<N, UndoStep>>;
