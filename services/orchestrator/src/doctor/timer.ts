import type { Logger } from "@bmi/log";
import type { Redis } from "@bmi/redis";
import { counter, gauge } from "@bmi/metrics";
import { CheckDriftResponse, DriftKind, driftKindToJSON } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import type { Doctor } from "./doctor";

/** NATS subject of each periodic check's report (a CheckDriftResponse), in the BMI_EVENTS stream. */
export const DRIFT_SUBJECT = "bmi.doctor.drift";

const checks = counter("bmi_drift_checks_total", "drift checks run (periodic and CheckDrift), by result", ["result"]);
const repairs = counter("bmi_drift_repairs_total", "safe repairs applied or failed, by drift kind", ["kind", "outcome"]);
const last = new Map<string, number>();
gauge("bmi_drift_findings", "differences the last drift check of this instance found, by kind", ["kind"], (g) => {
  g.reset();
  for (const [kind, n] of last) g.set({ kind }, n);
});

/** Counts one check's findings and repairs in the metrics. */
export function recordCheck(res: CheckDriftResponse): void {
  checks.inc({ result: res.findings.length === 0 ? "clean" : "drift" });
  last.clear();
  for (const k of Object.values(DriftKind)) if (typeof k === "number" && k > 0) last.set(kindName(k), 0);
  for (const f of res.findings) {
    last.set(kindName(f.kind), (last.get(kindName(f.kind)) ?? 0) + 1);
    if (f.repaired) repairs.inc({ kind: kindName(f.kind), outcome: "repaired" });
    else if (f.repairError) repairs.inc({ kind: kindName(f.kind), outcome: "failed" });
  }
}

export const kindName = (k: DriftKind) => driftKindToJSON(k).replace(/^DRIFT_KIND_/, "").toLowerCase();

export interface DriftTimerOptions {
  intervalMs: number;
  repair: boolean;
  /** Redis key that lets one instance of several check per interval. */
  lockKey: string;
  publish(subject: string, data: Uint8Array, msgId: string): Promise<void>;
}

/**
 * The drift check on a timer (BMI_ORCH_DRIFT_INTERVAL_S): one instance per interval (a Redis lock), every finding
 * logged, the report published on NATS and counted in the metrics.
 */
export class DriftTimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly doctor: Doctor, private readonly redis: Redis, private readonly o: DriftTimerOptions,
    private readonly log: Logger) {}

  start(): void {
    this.timer = setInterval(() => { this.running ??= this.once().finally(() => { this.running = undefined; }); }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One periodic check, unless another instance took this interval's. */
  async once(): Promise<void> {
    const mine = await this.redis.set(this.o.lockKey, String(process.pid), "PX", Math.max(1000, this.o.intervalMs - 500), "NX").catch(() => null);
    if (mine !== "OK") return;
    try {
      const res = await this.doctor.check(this.o.repair, { onBehalfOf: { user: "drift-check", projects: [], admin: true } });
      recordCheck(res);
      for (const f of res.findings) {
        this.log.warn({ kind: kindName(f.kind), project: f.project, node: f.node, resource: f.resource, fix: f.fix, safe: f.safe,
          repaired: f.repaired, ...(f.repairError ? { repairError: f.repairError } : {}) }, `drift: ${f.detail}`);
      }
      if (res.skipped.length > 0) this.log.warn({ skipped: res.skipped }, "drift check could not read every back end");
      const at = res.checked?.toISOString() ?? new Date().toISOString();
      await this.o.publish(DRIFT_SUBJECT, CheckDriftResponse.encode(res).finish(), `drift:${at}`)
        .catch((err: Error) => this.log.warn({ err: err.message }, "drift report not published"));
    } catch (err) {
      checks.inc({ result: "error" });
      this.log.warn({ err: (err as Error).message }, "drift check failed");
    }
  }
}
