import type { Bottleneck } from "./plan";
import { limiterAdmitted, limiterWaitSeconds } from "./metrics";

/** A counting semaphore; waiters are served in arrival order. */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  get stats(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}

/**
 * One concurrency limit per bottleneck (image back end, target host, HIL, boot-service) instead of one global
 * number: a slow HIL must not starve clones, and tgtd, which serves one request at a time, must not be flooded.
 * Limits are per orchestrator instance.
 */
export class Limiter {
  private readonly sems = new Map<Bottleneck, Semaphore>();

  constructor(limits: Partial<Record<Bottleneck, number>>) {
    for (const [name, n] of Object.entries(limits)) {
      if (n && n > 0) this.sems.set(name as Bottleneck, new Semaphore(n));
    }
  }

  run<T>(bottleneck: Bottleneck, fn: () => Promise<T>): Promise<T> {
    const sem = this.sems.get(bottleneck);
    if (!sem) return fn();
    const waited = limiterWaitSeconds.startTimer({ bottleneck });
    return sem.run(() => {
      waited();
      limiterAdmitted.inc({ bottleneck });
      return fn();
    });
  }

  stats(): Record<string, { active: number; waiting: number }> {
    return Object.fromEntries([...this.sems].map(([k, s]) => [k, s.stats]));
  }
}
