/** A boot phase boot-service saw over HTTP, for the orchestrator to show. */
export interface BootPhaseReport {
  node: string;
  project: string;
  mac: string;
  /** script-refused: `remoteAddress` asked for a script bound to another address (and got 404). */
  /** userspace: the OS on the disk reached userspace and called back. */
  phase: "script-served" | "boot-attempted" | "boot-failed" | "script-refused" | "userspace";
  remoteAddress: string;
  /** sanboot attempt (1, 2, ...); 0 for script-served. */
  attempt: number;
}

/** Where boot phases go (NATS through @bmi/events in production). */
export interface BootPhaseSink {
  publish(report: BootPhaseReport): Promise<void>;
}
