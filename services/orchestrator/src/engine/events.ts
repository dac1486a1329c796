import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, fromJson, toBinary, type DescMessage, type JsonValue, type Message } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { descriptorSetPath } from "@bmi/proto";
import { JobEvent, NodeEvent } from "@bmi/proto/bmi/events/v1/events";

/** The cases of JobEvent's oneof that TypeScript builds; their messages' TS types are their proto3 JSON too. */
type BuiltHere = "stepStarted" | "stepSucceeded" | "stepFailed" | "stepUndone";

/**
 * A bmi.events.v1.JobEvent in proto3 JSON form, without job_id and seq (the script numbers it): the time and one
 * case of the oneof, typed by the generated message, so a misspelt field does not compile.
 */
export type EventBody = { [K in BuiltHere]: { time: string } & { [P in K]: NonNullable<JobEvent[P]> } }[BuiltHere];

const now = () => new Date().toISOString();

export const stepStarted = (step: string, attempt: number): EventBody =>
  ({ time: now(), stepStarted: { step, attempt } });

export const stepSucceeded = (step: string, outputs: Record<string, string>, durationMs: number): EventBody =>
  ({ time: now(), stepSucceeded: { step, outputs, durationMs: Math.round(durationMs) } });

export const stepFailed = (step: string, error: string, permanent: boolean): EventBody =>
  ({ time: now(), stepFailed: { step, error, permanent } });

export const stepUndone = (step: string): EventBody => ({ time: now(), stepUndone: { step } });

// The Lua scripts build the other cases (created, finished, childFinished, boot) and NodeEvent as JSON text. They are
// read here against the descriptor set, where an unknown field, a wrong type or an unknown enum name is an error
// (ts-proto's fromJSON would drop or default it without a word).
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSetPath)));
const descOf = (name: string): DescMessage => {
  const d = registry.getMessage(name);
  if (!d) throw new Error(`${name} is not in ${descriptorSetPath}`);
  return d;
};
const JOB_EVENT = descOf("bmi.events.v1.JobEvent");
const NODE_EVENT = descOf("bmi.events.v1.NodeEvent");

/** Thrown for an event that does not match its proto message: a bug in whatever built it (a script, most likely). */
export class EventShapeError extends Error {}

/** The event read against its proto message: the message, or EventShapeError. */
function check(desc: DescMessage, json: unknown, what: string): Message {
  try {
    return fromJson(desc, json as JsonValue);
  } catch (err) {
    throw new EventShapeError(`${what} does not match ${desc.typeName}: ${(err as Error).message}`);
  }
}

const BUILT_HERE: readonly BuiltHere[] = ["stepStarted", "stepSucceeded", "stepFailed", "stepUndone"];

/**
 * A job event as the log and the relay hold it (JSON of the body). One the scripts built is checked against the
 * proto; one of EventBody's cases was checked by the compiler (and is most of them: checking it again here would
 * cost the relay a third of its time per event for nothing).
 */
export function parseJobEvent(json: string, jobId: string, seq: number): JobEvent {
  const body: Record<string, unknown> = { ...(JSON.parse(json) as Record<string, unknown>), jobId, seq };
  if (!BUILT_HERE.some((k) => k in body)) check(JOB_EVENT, body, `event ${jobId}:${seq}`);
  return JobEvent.fromJSON(body);
}

/**
 * What the relay publishes for a logged job event: the bytes of `JobEvent.encode(parseJobEvent(json, jobId, seq))`,
 * made for less. One the scripts built is checked as there and its checked message encoded as it is; one of
 * EventBody's cases (complete messages in their JSON form, the time a string) goes straight to the encoder.
 */
export function jobEventBytes(json: string, jobId: string, seq: number): Uint8Array {
  const body = JSON.parse(json) as Record<string, unknown>;
  const built = BUILT_HERE.find((k) => k in body);
  if (built === undefined) return toBinary(JOB_EVENT, check(JOB_EVENT, { ...body, jobId, seq }, `event ${jobId}:${seq}`));
  // The case's message is complete (EventBody's type): encoded as it is, without fromPartial's copy of it.
  const time = typeof body.time === "string" ? new Date(body.time) : undefined;
  return JobEvent.encode({ jobId, seq, time, [built]: body[built] } as JobEvent).finish();
}

/** The bytes of `NodeEvent.encode(parseNodeEvent(json))`, from the checked message. */
export function nodeEventBytes(json: string): Uint8Array {
  return toBinary(NODE_EVENT, check(NODE_EVENT, JSON.parse(json), "node event"));
}

export function parseNodeEvent(json: string): NodeEvent {
  const body = JSON.parse(json) as unknown;
  check(NODE_EVENT, body, "node event");
  return NodeEvent.fromJSON(body);
}
