import { isTransient } from "@bmi/errors";

export interface RetryPolicy {
  /** Tries per step, the first included. */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseMs: 100, maxMs: 5000 };

/**
 * Exponential backoff with full jitter: services that were down come back to a spread of retries, not a
 * thundering herd from a thousand nodes that failed in the same second.
 */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

/** Worth another try: a transient error and tries left. */
export function shouldRetry(policy: RetryPolicy, err: unknown, attempt: number): boolean {
  return isTransient(err) && attempt < policy.maxAttempts;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
