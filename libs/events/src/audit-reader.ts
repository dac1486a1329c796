import { AckPolicy, DeliverPolicy, type NatsConnection } from "nats";
import { AuditRecord } from "@bmi/proto/bmi/events/v1/events";

export interface AuditQuery {
  stream: string;
  /** Subjects to read (one consumer each): a project's (auditProjectSubject) or every record (ALL_AUDIT). */
  subjects: string[];
  since: Date;
  until: Date;
  /** Keeps a record (project membership, user, resource); the subjects only narrow what is read. */
  match(record: AuditRecord): boolean;
  /** The most recent `limit` matches are answered. */
  limit: number;
  /** Records read per subject at most, so one query cannot read a whole stream without end. */
  maxScan?: number;
  /** Stop reading at this time (ms since the epoch) and answer what was found, truncated. */
  readUntil?: number;
}

export interface AuditPage {
  /** Oldest first. */
  records: AuditRecord[];
  /** More matched than `limit` (the oldest were left out), or reading stopped early (maxScan, readUntil). */
  truncated: boolean;
}

/**
 * Reads the audit stream from `since` with a short-lived consumer per subject, in batches that come back at once
 * (no_wait), so a read ends as soon as the consumer has nothing more, without waiting for a fetch to time out.
 */
export async function readAuditRecords(nc: NatsConnection, q: AuditQuery): Promise<AuditPage> {
  const found: AuditRecord[] = [];
  let truncated = false;
  for (const subject of q.subjects) {
    const part = await readSubject(nc, q, subject);
    found.push(...part.records);
    truncated ||= part.truncated;
  }
  found.sort((a, b) => (a.time?.getTime() ?? 0) - (b.time?.getTime() ?? 0));
  if (found.length > q.limit) truncated = true;
  return { records: found.slice(-q.limit), truncated };
}

const BATCH = 1000;

async function readSubject(nc: NatsConnection, q: AuditQuery, subject: string): Promise<AuditPage> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.consumers.add(q.stream, {
    filter_subject: subject, deliver_policy: DeliverPolicy.StartTime, opt_start_time: q.since.toISOString(),
    ack_policy: AckPolicy.None, inactive_threshold: 30 * 1e9, mem_storage: true,
  });
  const maxScan = q.maxScan ?? 200_000;
  const kept: AuditRecord[] = [];
  let truncated = false;
  let scanned = 0;
  try {
    const js = nc.jetstream();
    for (;;) {
      if (scanned >= maxScan || (q.readUntil !== undefined && Date.now() > q.readUntil)) {
        truncated = true;
        break;
      }
      // no_wait: the server answers at once with what the consumer has, so a short batch is the end. Its pending
      // counts cannot say so: nats-server 2.9 overcounts them for filtered consumers started by time, and a fetch
      // for the records it miscounted would wait; `expires` bounds the one after a batch that came back full.
      const size = Math.min(BATCH, maxScan - scanned);
      const batch = js.fetch(q.stream, info.name, { batch: size, no_wait: true, expires: 1000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        const r = decoded(m.data);
        // The stream's clock is when a record was published, a moment after its call (minutes after, while NATS
        // was away), so the stream is only nearly in call order: `since` and `until` are about the call.
        if (!r?.time || r.time < q.since || r.time >= q.until || !q.match(r)) continue;
        kept.push(r);
        if (kept.length > q.limit) {
          kept.shift();
          truncated = true;
        }
      }
      scanned += got;
      if (got < size) break;
    }
  } finally {
    await jsm.consumers.delete(q.stream, info.name).catch(() => undefined);
  }
  return { records: kept, truncated };
}

/** A record, or undefined for a message that is none (the subjects are open to anyone NATS lets publish). */
function decoded(data: Uint8Array): AuditRecord | undefined {
  try {
    return AuditRecord.decode(data);
  } catch {
    return undefined;
  }
}
