import type { EventBody } from "./store";

// JobEvent bodies in proto3 JSON form (bmi.events.v1.JobEvent without job_id and seq, which Redis assigns).
const now = () => new Date().toISOString();

export const stepStarted = (step: string, attempt: number): EventBody =>
  ({ time: now(), stepStarted: { step, attempt } });

export const stepSucceeded = (step: string, outputs: Record<string, string>, durationMs: number): EventBody =>
  ({ time: now(), stepSucceeded: { step, outputs, durationMs: Math.round(durationMs) } });

export const stepFailed = (step: string, error: string, permanent: boolean): EventBody =>
  ({ time: now(), stepFailed: { step, error, permanent } });

export const stepUndone = (step: string): EventBody => ({ time: now(), stepUndone: { step } });
