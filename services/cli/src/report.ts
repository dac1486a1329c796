import { errorCodeOf, exitCodeOf } from "./exit-codes";

/**
 * How a failure reaches the user: one line on stderr ("bmi: what failed"), or with --json one JSON object
 * {"error": {"code", "exitCode", "message"}}, and the request id and a stack trace only when BMI_DEBUG asks. Answers the exit
 * code. Only the first failure is reported: a late one (Ctrl-C while the first is on its way out) adds nothing.
 */
export function createReporter(json: boolean, debug: boolean, stderr: NodeJS.WritableStream = process.stderr, requestId = ""): (failure: unknown) => number {
  let reported: number | undefined;
  return (failure) => {
    if (reported !== undefined) return reported;
    const exitCode = exitCodeOf(failure);
    const message = describeFailure(failure);
    if (json) stderr.write(`${JSON.stringify({ error: { code: errorCodeOf(failure), exitCode, message } })}\n`);
    else stderr.write(`bmi: ${message}\n`);
    // The id every call of this command sent: what to look for in the services' logs.
    if (debug) stderr.write(`${requestId ? `request id ${requestId}\n` : ""}${trace(failure)}\n`);
    reported = exitCode;
    return exitCode;
  };
}

/**
 * What failed, in one line: grpc-js reports transport failures in several nested sentences without naming the
 * service (`service` when the caller knows it); keep what happened.
 */
export function describeFailure(err: unknown, service = "service"): string {
  const message = err instanceof Error ? err.message : String(err);
  const refused = /(connect \w+ [\w.:[\]-]+?)\.?(?:\s|$)/.exec(message);
  if (/No connection established/.test(message) && refused) return `${service} unreachable: ${refused[1]}`;
  if (/^Connection dropped$/i.test(message)) return `${service} unavailable: connection dropped`;
  if (/self[- ]signed certificate|unable to (verify|get local issuer)|certificate has expired/i.test(message)) {
    return `${whose(service)} TLS certificate is not trusted: --ca or BMI_CA names the CA of BMI's services`;
  }
  const altnames = /Hostname\/IP does not match certificate's altnames: ([^.]+)/.exec(message);
  if (altnames) return `${whose(service)} TLS certificate does not name the address used (${altnames[1]})`;
  const deadline = /^Deadline exceeded after ([\d.]+)s/.exec(message);
  if (deadline) return `no answer within ${Number(deadline[1]).toFixed(1)} s (deadline exceeded; --timeout sets it)`;
  return message.split("\n")[0]!.trim() || "failed";
}

function whose(service: string): string {
  return service === "service" ? "the server's" : `${service}'s`;
}

function trace(err: unknown): string {
  const lines: string[] = [];
  for (let e = err, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    lines.push(`${depth > 0 ? "caused by: " : ""}${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    if (!(e instanceof Error)) break;
  }
  return lines.join("\n");
}
