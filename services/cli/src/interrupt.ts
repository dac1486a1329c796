import { setMaxListeners } from "node:events";
import { Interrupted } from "./exit-codes";

// Long enough for a command to cancel its calls and remove its temporary file; short enough for an impatient user.
const GRACE_MS = 2000;

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM into an abort of the running command: its calls are cancelled and its
 * temporary files removed on its normal error path, so it still ends with one line. A second signal, or a command
 * that has not ended GRACE_MS later, calls `exit` at once ('exit' listeners still remove temporary files).
 */
export function interruptSignal(exit: (err: Interrupted) => never): AbortSignal {
  const controller = new AbortController();
  // Every call of a command listens to it (node import registers hundreds): no "possible leak" warning on stderr.
  setMaxListeners(0, controller.signal);
  const onSignal = (signal: NodeJS.Signals) => {
    const err = new Interrupted(signal, "interrupted");
    if (controller.signal.aborted) exit(err);
    controller.abort(err);
    setTimeout(() => exit(err), GRACE_MS).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}
