// Mirrors the subjects documented in proto/bmi/events/v1/events.proto: change both together.

/** The durable JetStream stream that holds every BMI event. */
export const DEFAULT_STREAM = "BMI_EVENTS";
export const STREAM_SUBJECTS = ["bmi.>"];

/** A name as one subject token: '.' would split it, so it becomes '_'. */
export function token(name: string): string {
  return name.replace(/[.*>\s]/g, "_");
}

/** JobEvent of one job, in seq order. */
export const jobSubject = (jobId: string) => `bmi.job.${token(jobId)}`;
export const ALL_JOBS = "bmi.job.>";
/** NodeEvent: a node's provisioning state changed. */
export const nodeStateSubject = (node: string) => `bmi.node.${token(node)}.state`;
export const ALL_NODE_STATES = "bmi.node.*.state";
/** BootPhaseEvent from boot-service. */
export const bootPhaseSubject = (node: string) => `bmi.boot.${token(node)}.phase`;
export const ALL_BOOT_PHASES = "bmi.boot.*.phase";
