/**
 * Polls `fn` every `everyMs` until it answers something truthy, and answers that. After `timeoutMs` it throws an
 * Error naming `what` (a function is asked only then, so it can describe the state the wait gave up in). A throw
 * from `fn` ends the wait; where a throw means "not yet" (a service still starting), catch it in `fn`.
 */
export async function until<T>(
  what: string | (() => string), fn: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 30_000, everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "function" ? what() : what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
