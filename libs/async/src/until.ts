export interface UntilOptions {
  /** How long to keep asking; default 30 s. */
  timeoutMs?: number;
  /** Pause between two questions; default 50 ms. */
  everyMs?: number;
  /** A throw from `fn` counts as "not yet" instead of ending the wait (a service still starting, say). */
  ignoreErrors?: boolean;
}

/**
 * Polls `fn` until it answers something truthy and answers that; after `timeoutMs` throws an Error that names
 * `what` (a function is asked only then, so it can describe the state the wait gave up in).
 */
export async function until<T>(
  what: string | (() => string), fn: () => T | undefined | false | null | Promise<T | undefined | false | null>, opts: UntilOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = opts.ignoreErrors ? await Promise.resolve().then(fn).catch(() => undefined) : await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${typeof what === "function" ? what() : what}`);
    await sleep(opts.everyMs ?? 50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
