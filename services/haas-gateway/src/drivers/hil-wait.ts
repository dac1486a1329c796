import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError, DeadlineExceededError, NotFoundError, UnavailableError, isTransient } from "@bmi/errors";
import type { CallScope } from "../node-driver";
import { HilBlockedError, type HilClient } from "./hil-client";

/** Time budgets for HIL's asynchronous switch changes. */
export interface HilWaitOptions {
  /** Longest wait for one networking action to leave PENDING (HIL's worker runs every few seconds). */
  actionTimeoutMs: number;
  /** How long a BlockedError (another action pending on the NIC) is retried before giving up with ABORTED. */
  blockedRetryMs: number;
}

/** The earlier of the call's deadline and `budgetMs` from now. */
export function deadlineOf(scope: CallScope, budgetMs: number): number {
  return Math.min(scope.deadline ?? Infinity, Date.now() + budgetMs);
}

/**
 * Polls a networking action until DONE (resolves "done") or ERROR (throws UNAVAILABLE). HIL forgets a status once
 * the next action on the NIC starts, so a vanished status answers "gone" and the caller checks the node itself.
 * Transient HIL failures while polling are ridden out until the deadline.
 */
export async function waitForAction(hil: HilClient, scope: CallScope, id: string, deadline: number): Promise<"done" | "gone"> {
  let pause = 50;
  let lastProblem = "still PENDING";
  for (;;) {
    let status: unknown;
    try {
      status = ((await hil.call(scope, "GET", `/v0/networking_action/${encodeURIComponent(id)}`)) as { status?: unknown })?.status;
      lastProblem = "still PENDING";
    } catch (err) {
      if (err instanceof NotFoundError) return "gone";
      if (!isTransient(err) || scope.signal.aborted) throw err;
      lastProblem = (err as Error).message;
    }
    if (status === "DONE") return "done";
    if (status === "ERROR") {
      throw new UnavailableError(`HIL could not apply the switch change (networking action ${id} ended in ERROR)`);
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new DeadlineExceededError(`HIL networking action ${id} not finished in time: ${lastProblem}`);
    await sleep(Math.min(pause, left), undefined, { signal: scope.signal }).catch(() => undefined);
    pause = Math.min(pause * 2, 1000);
  }
}

/**
 * Runs `attempt` again while HIL answers BlockedError, with backoff and jitter, until `deadline`. Before each retry
 * `settled` is asked whether the wanted state already holds (a Blocked answer can mean "already attached"): then
 * answers "settled". Persistent BlockedError ends in ABORTED with HIL's message.
 */
export async function retryBlocked<T>(
  scope: CallScope, deadline: number, attempt: () => Promise<T>, settled: () => Promise<boolean>,
): Promise<T | "settled"> {
  let pause = 100;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof HilBlockedError)) throw err;
      if (await settled()) return "settled";
      const wait = pause / 2 + Math.random() * pause;
      if (Date.now() + wait > deadline || scope.signal.aborted) {
        throw new AbortedError(`${err.message}; still blocked after retrying`, { cause: err });
      }
      await sleep(wait, undefined, { signal: scope.signal }).catch(() => undefined);
      pause = Math.min(pause * 2, 2000);
    }
  }
}
