import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { CallOpts } from "@bmi/grpc";

/**
 * Who a job runs for, as stored with the job in Redis: the user's identity (the orchestrator's certificate makes
 * the services believe it), never their password or token. Only with HIL pass-through, where HIL itself must see
 * the user's credentials, is the authorization header kept too, sealed with a key from configuration, and it goes
 * with the rest of the principal when the job ends.
 */
export interface Principal {
  user: string;
  projects: string[];
  admin: boolean;
  /** The sealed authorization header (AES-256-GCM, base64url iv.tag.ciphertext); pass-through mode only. */
  sealed?: string;
  /**
   * The x-request-id of the call that made the job (the CLI sends one per command): every call of its steps carries
   * it, so one id finds the request's lines in every service's log, however long after the call the steps run.
   */
  requestId?: string;
  /**
   * The W3C trace context (traceparent, tracestate) of the call that made the job, when traces are on: its steps
   * run later, in whichever instance holds the job, and continue that call's trace.
   */
  trace?: Record<string, string>;
}

const OPENED_MAX = 1024;

/** Seals and opens pass-through credentials; without a key, credentials are never kept. */
export class CredentialSeal {
  /** Principals without credentials, as callOptions answered them (about one per running job). */
  private readonly opened = new Map<string, Pick<CallOpts, "onBehalfOf" | "requestId">>();

  constructor(private readonly key: Buffer | undefined) {
    if (key && key.length !== 32) throw new Error("the credential key must be 32 bytes");
  }

  get passThrough(): boolean {
    return this.key !== undefined;
  }

  /** The principal a job stores, as JSON. */
  principal(who: { user: string; projects: string[]; admin: boolean; authorization: string; requestId?: string; trace?: Record<string, string> }): string {
    const p: Principal = { user: who.user, projects: who.projects, admin: who.admin, ...(who.requestId ? { requestId: who.requestId } : {}) };
    if (who.trace && Object.keys(who.trace).length > 0) p.trace = who.trace;
    if (this.key && who.authorization) p.sealed = this.seal(who.authorization);
    return JSON.stringify(p);
  }

  /**
   * How a job's calls go out: on behalf of its user, with the user's own header only in pass-through mode. Every
   * call of a job's steps asks with the same stored principal: answered from a small cache (the same objects each
   * time, which the gRPC client turns into metadata once), except a sealed one, opened per call and not kept.
   */
  callOptions(stored: string): Pick<CallOpts, "onBehalfOf" | "authorization" | "requestId"> {
    if (!stored) return {};
    const known = this.opened.get(stored);
    if (known) return known;
    const p = JSON.parse(stored) as Principal;
    const onBehalfOf = { user: p.user, projects: p.projects, admin: p.admin };
    const requestId = p.requestId ? { requestId: p.requestId } : {};
    if (p.sealed && this.key) return { onBehalfOf, authorization: this.open(p.sealed), ...requestId };
    const opts = Object.freeze({ onBehalfOf: Object.freeze(onBehalfOf), ...requestId });
    if (this.opened.size >= OPENED_MAX) this.opened.clear();
    this.opened.set(stored, opts);
    return opts;
  }

  /** The trace context a job's principal keeps (empty without one). */
  traceOf(stored: string): Record<string, string> {
    return stored ? (JSON.parse(stored) as Principal).trace ?? {} : {};
  }

  private seal(text: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key!, iv);
    const data = Buffer.concat([c.update(text, "utf8"), c.final()]);
    return [iv, c.getAuthTag(), data].map((b) => b.toString("base64url")).join(".");
  }

  private open(sealed: string): string {
    const [iv, tag, data] = sealed.split(".").map((s) => Buffer.from(s, "base64url"));
    const d = createDecipheriv("aes-256-gcm", this.key!, iv!);
    d.setAuthTag(tag!);
    return Buffer.concat([d.update(data!), d.final()]).toString("utf8");
  }
}
