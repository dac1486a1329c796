import { BmiError, domainError } from "@bmi/errors";
import { fromServiceError, isServiceError } from "@bmi/grpc/client";
import type { Ctx } from "./context";
import { bar, bytes } from "./output";
import { describeFailure } from "./report";

/** Redraws an upload's or download's progress line (on a terminal only). */
export function progress(ctx: Ctx, verb: string, done: number, total: number, t0: number): void {
  const rate = done / Math.max(0.001, (Date.now() - t0) / 1000);
  ctx.out.progress(`${verb} ${bar(done, total)} ${bytes(done)}/${bytes(total)} ${bytes(rate)}/s`);
}

/**
 * A transfer's error as the domain error it stands for (the unary calls get this from @bmi/grpc); a transport
 * failure names the service, since grpc-js only says "Connection dropped".
 */
export function fromImageService(err: unknown): unknown {
  const e = isServiceError(err) ? fromServiceError(err, "image-service") : err;
  return e instanceof BmiError && e.code === "UNAVAILABLE" ? domainError(e.code, describeFailure(e, "image-service"), { cause: err }) : e;
}
