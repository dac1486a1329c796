import type { Caller } from "./auth";

/** One mutating call as the chassis saw it: names only, never a request's other fields or its headers. */
export interface AuditEntry {
  time: Date;
  /** The service that answered (the server's name). */
  service: string;
  method: string;
  requestId: string;
  caller: Pick<Caller, "user" | "admin" | "service">;
  project: string;
  resources: string[];
  /** The gRPC status code's name: OK, PERMISSION_DENIED, ... */
  code: string;
  peer: string;
}

/** Where a server's audit entries go (@bmi/events' AuditTrail: a log line and a JetStream stream). */
export interface AuditSink {
  record(entry: AuditEntry): void;
}

/** What a call is about, for its audit entry; handlers may add what only they learn (a job's project). */
export interface AuditSubject {
  project: string;
  resources: string[];
}

const READS = /^(Get|List|Watch|Render|Download)/;

/** Every method but the reads changes something (or tries to) and is audited, refused calls included. */
export function isMutating(method: string): boolean {
  return !READS.test(method.split("/").pop() ?? method);
}

// Fields that name a resource in BMI's requests. A whitelist, never "every string": a request also carries CHAP
// secrets, BMC passwords and power URLs, and none of them may reach the trail.
const NAME_FIELDS = new Set(["name", "node", "image", "disk", "id", "newName", "newProject", "iqn", "address"]);
const NESTED_FIELDS = new Set(["header", "spec", "specs", "config", "freeNodes"]);
const MAX_PROJECT = 64;
const MAX_NAME = 128;
const MAX_NAMES = 32;

/** The project and resource names a (decoded, ts-proto) request gives, bounded in number and length. */
export function auditSubjectOf(request: unknown): AuditSubject {
  const subject: AuditSubject = { project: "", resources: [] };
  collect(request, subject, 0);
  return subject;
}

function collect(value: unknown, into: AuditSubject, depth: number): void {
  if (depth > 3 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into, depth + 1);
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === "project" && typeof v === "string" && into.project === "") into.project = v.slice(0, MAX_PROJECT);
    else if (NAME_FIELDS.has(key) && typeof v === "string") addResource(into, v);
    else if (NESTED_FIELDS.has(key)) collect(v, into, depth + 1);
  }
}

/** Adds a name to the subject (once, bounded). */
export function addResource(into: AuditSubject, name: string): void {
  const n = name.slice(0, MAX_NAME);
  if (n !== "" && into.resources.length < MAX_NAMES && !into.resources.includes(n)) into.resources.push(n);
}

/**
 * The stream a client-streaming handler reads, noting its first message (an upload's header names the image)
 * on the way; nothing else changes for the handler.
 */
export function noteFirst<T>(source: AsyncIterable<T>, seen: (first: T) => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      let first = true;
      return {
        async next() {
          const r = await it.next();
          if (first && !r.done) seen(r.value);
          first = false;
          return r;
        },
        return: async (value?: unknown) => (it.return ? it.return(value) : { done: true as const, value: undefined }),
        throw: async (err?: unknown) => (it.throw ? it.throw(err) : Promise.reject(err)),
      };
    },
  };
}
