import { UnavailableError } from "@bmi/errors";
import { chapSecret } from "./credentials";

/**
 * The domain's view of an iSCSI export: what is wanted (TargetSpec, persisted) and what tgtd has (LiveTarget),
 * and the two interfaces the domain needs from the outside, implemented in drivers/.
 */

/** Where a disk's bytes are: a file or block device on this host, or an RBD image tgt opens with librbd. */
export type Backing =
  | { kind: "file"; path: string }
  | { kind: "rbd"; pool: string; image: string; cephConf: string; user: string };

/** A target somebody asked for. Survives tgtd and service restarts (the store); tgtd is brought in line with it. */
export interface TargetSpec {
  project: string;
  disk: string;
  iqn: string;
  /** tgtd's target id, fixed at creation so a re-applied target keeps it. */
  tid: number;
  /**
   * The only initiator allowed to log in while no address is bound. "" for an adopted target whose ACL was an
   * address (tgtd's listing cannot say which name the node used); the next CreateTarget names it again.
   */
  initiatorIqn: string;
  /**
   * The address the node's boot script was fetched from (boot-service binds it), once bound: the ACL is then this
   * address alone. tgt admits a login when any one ACL entry matches, so keeping the name beside it would let every
   * address in that knows the name, and the name is in the boot script. Absent or "": the ACL is the name.
   */
  initiatorAddress?: string;
  chapUser: string;
  /**
   * Never logged: log `describe(spec)` instead of the spec. Empty for an adopted target: tgtd never shows a
   * secret, so tgtd keeps the old one (booted nodes still log in with it) until tgtd must be given one again.
   */
  chapSecret: string;
  /**
   * Mutual CHAP (BMI_TARGET_MUTUAL_CHAP): the target's own account, tgtd's outgoing one, which the node checks.
   * Never logged; its secret is empty for an adopted target, like chapSecret.
   */
  reverse?: { user: string; secret: string };
  backing: Backing;
  /** ISO timestamp. */
  created: string;
  /**
   * The target hosts that export it (BMI_TARGET_HOST_ID of each), set when target-services run with host ids:
   * each host's reconciler serves the specs naming it (hosts/placed.ts). Absent: the one host there is.
   */
  hosts?: string[];
}

/** A target as tgtd reports it. */
export interface LiveTarget {
  tid: number;
  iqn: string;
  /** LUN 1's backing store: type ("rdwr", "rbd") and path. */
  lun1?: { type: string; path: string };
  /** The ACL: initiator names and addresses. */
  initiators: string[];
  /** Incoming CHAP accounts (the initiator's). */
  accounts: string[];
  /** Outgoing CHAP accounts (the target's own, for mutual CHAP). */
  outgoing?: string[];
  /** Live I_T nexuses (one per logged-in initiator session). */
  sessions: number;
}

/**
 * Persistence of the wanted targets, with an identity: a random id the store gets once, which tgtd's store marker
 * repeats. A store without it (flushed, lost, a new prefix) or with another one is not what tgtd was built from.
 */
export interface TargetStore {
  /** Where the store lives, for messages (e.g. the Redis key prefix). */
  readonly location: string;
  get(project: string, disk: string): Promise<TargetSpec | undefined>;
  /** assertFollowed, then get, in one round trip. */
  followedGet(project: string, disk: string): Promise<TargetSpec | undefined>;
  /** The target with this IQN, whoever's it is. */
  byIqn(iqn: string): Promise<TargetSpec | undefined>;
  list(): Promise<TargetSpec[]>;
  /** The identity and every spec, read at one instant: a flush cannot fall between the two. */
  snapshot(): Promise<{ identity: string | undefined; specs: TargetSpec[] }>;
  /** Gives the store an identity unless it has one; answers it. */
  claimIdentity(): Promise<string>;
  /**
   * Inserts are taken only while the store's identity is `id` (the one tgtd follows); undefined refuses them all
   * with UNAVAILABLE. Set by the reconciler after each pass.
   */
  follow(id: string | undefined): void;
  /** UNAVAILABLE unless the store is the one it follows: a foreign spec's tid may be a live target of ours. */
  assertFollowed(): Promise<void>;
  /**
   * Adds `spec` unless its project/disk is taken (false); ALREADY_EXISTS when another target has its IQN;
   * UNAVAILABLE unless the store is the one it follows.
   */
  insert(spec: TargetSpec): Promise<boolean>;
  /** insert with a tid never handed out before, taken in the same step; answers the spec with it, or undefined (taken). */
  insertNew(spec: Omit<TargetSpec, "tid">): Promise<TargetSpec | undefined>;
  /** Overwrites the spec of an existing project/disk (a new CHAP secret); false when there is none. */
  replace(spec: TargetSpec): Promise<boolean>;
  /** Forgets the spec; `iqn`, when the caller just read the spec, saves reading it again. */
  delete(project: string, disk: string, iqn?: string): Promise<void>;
  /** A target id never handed out before. */
  nextTid(): Promise<number>;
  /** Makes every later nextTid answer more than `tid` (tids tgtd already uses, after a store was lost). */
  reserveTids(tid: number): Promise<void>;
}

/** The iSCSI target daemon. Implemented by drivers/tgt.ts. */
export interface TargetBackend {
  /** Makes sure the daemon runs and listens on every configured portal (starts it when it does not). */
  ensureRunning(): Promise<void>;
  list(): Promise<LiveTarget[]>;
  /**
   * The target at `tid` as tgtd has it, undefined when tgtd has none there. Asks tgtd about that one target when the
   * backend knows what it holds (it made or listed it), not for a listing of every target.
   */
  find(tid: number): Promise<LiveTarget | undefined>;
  /**
   * Creates the target with LUN 1, ACL and CHAP account(s); the tid must be free. A stale account of the same name
   * is replaced; `accountExists`/`reverseExists` (the caller just listed the accounts) say up front whether there
   * is one.
   */
  apply(spec: TargetSpec, hint?: { accountExists: boolean; reverseExists?: boolean }): Promise<void>;
  /** Removes a target (with force when it has sessions) and answers how many sessions it had. */
  remove(tid: number): Promise<number>;
  /**
   * Replaces the CHAP accounts of a target that exists with ones holding `spec`'s secrets, and binds them; an
   * outgoing account `previous` had and `spec` has not is deleted.
   */
  rekey(spec: TargetSpec, previous: TargetSpec): Promise<void>;
  /** Makes the ACL of a target that exists `aclOf(spec)` alone, where it was `previous`; adds before it removes. */
  rebind(spec: TargetSpec, previous: string): Promise<void>;
  /**
   * Makes `iqn` the daemon's store marker (a target without LUN or ACL), removing the marker at `previous`;
   * the marker goes and comes with the daemon's other targets.
   */
  mark(iqn: string, previous?: number): Promise<void>;
  /** CHAP accounts the daemon holds. */
  accounts(): Promise<string[]>;
  deleteAccount(user: string): Promise<void>;
}

/**
 * `spec` with a CHAP secret, for a target tgtd lacks: an adopted spec gets a new one, stored before tgtd or
 * anybody else is given it.
 */
export async function withSecret(store: TargetStore, spec: TargetSpec): Promise<TargetSpec> {
  if (spec.chapSecret !== "" && spec.reverse?.secret !== "") return spec;
  const next = { ...spec, chapSecret: chapSecret(), ...(spec.reverse ? { reverse: { user: spec.reverse.user, secret: chapSecret() } } : {}) };
  await store.replace(next);
  return next;
}

/** A one-line description of a spec for logs and messages: everything but the CHAP secret. */
export function describe(spec: TargetSpec): Record<string, unknown> {
  return { project: spec.project, disk: spec.disk, iqn: spec.iqn, tid: spec.tid, initiator: spec.initiatorIqn,
    address: spec.initiatorAddress ?? "", chapUser: spec.chapUser, reverseUser: spec.reverse?.user ?? "" };
}

/** The one ACL entry the target has: the bound address, else the initiator name. */
export function aclOf(spec: TargetSpec): string {
  return spec.initiatorAddress || spec.initiatorIqn;
}

/** True when tgtd's target is exactly what `spec` asks for. */
export function matches(spec: TargetSpec, live: LiveTarget): boolean {
  const want = lunOf(spec);
  return live.iqn === spec.iqn && live.lun1?.type === want.type && live.lun1.path === want.path &&
    live.initiators.length === 1 && live.initiators[0] === aclOf(spec) &&
    live.accounts.length === 1 && live.accounts[0] === spec.chapUser &&
    (live.outgoing ?? []).join() === (spec.reverse ? spec.reverse.user : "");
}

/** LUN 1 as tgtd lists it for the spec's backing: its backing-store type and path. */
export function lunOf(spec: TargetSpec): { type: string; path: string } {
  const b = spec.backing;
  return b.kind === "file" ? { type: "rdwr", path: b.path } : { type: "rbd", path: `${b.pool}/${b.image}` };
}

/**
 * The disk's export file is not there (image-service or its storage daemon setting exports up again): UNAVAILABLE
 * for the caller, who retries, but nothing for the reconciler to keep applying, so the target is not kept.
 */
export class ExportGoneError extends UnavailableError {}
