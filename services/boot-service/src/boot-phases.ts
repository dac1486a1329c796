/** A boot phase boot-service saw over HTTP, for the orchestrator to show. */
export interface BootPhaseReport {
  node: string;
  project: string;
  mac: string;
  phase: "script-served" | "boot-attempted" | "boot-failed";
  remoteAddress: string;
  /** sanboot attempt (1, 2, ...); 0 for script-served. */
  attempt: number;
}

/** Where boot phases go (NATS through @bmi/events in production). */
export interface BootPhaseSink {
  publish(report: BootPhaseReport): Promise<void>;
}
