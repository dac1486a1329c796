export { orchSpec, type OrchConfig } from "./config";
export type { StepExecutor, StepContext, StepResult } from "./engine/step-executor";
