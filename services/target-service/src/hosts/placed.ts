import { createHash } from "node:crypto";
import { InvalidArgumentError } from "@bmi/errors";
import type { Redis } from "@bmi/redis";
import type { Backing, LiveTarget, TargetBackend, TargetSpec } from "../target";
import { portalsOf, readHosts, validateHostId, type HostRegistration } from "./registry";

/**
 * Which targets this host exports, with several target hosts on one store. A spec names the hosts that export
 * it (`hosts`, the orchestrator's placement); each host's reconciler brings its own tgtd in line with the specs
 * naming it, so a target moved away (evacuation) is removed by the host it left, and one named by two hosts
 * (multipath, RBD only) is served by both with the same IQN, tid and CHAP secrets.
 */
export class HostPlacement {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly registration: HostRegistration,
  ) {}

  get self(): string {
    return this.registration.info.id;
  }

  /** Whether this host exports the spec. */
  local(spec: Pick<TargetSpec, "hosts">): boolean {
    return (spec.hosts ?? []).includes(this.self);
  }

  /**
   * The hosts a CreateTarget asks for: checked (registered, no repeats, this host among them, one only for a
   * file, which is on one host); none given means this host.
   */
  async resolve(requested: string[], backing: Backing): Promise<string[]> {
    if (requested.length === 0) return [this.self];
    requested.forEach(validateHostId);
    if (new Set(requested).size !== requested.length) throw new InvalidArgumentError(`hosts ${requested.join(",")} name a host twice`);
    if (!requested.includes(this.self)) throw new InvalidArgumentError(`hosts ${requested.join(",")} do not include this host, ${this.self}`);
    portalsOf(await readHosts(this.redis, this.prefix), requested);
    if (backing.kind === "file" && requested.length > 1) throw new InvalidArgumentError("a file backing is on one host: it cannot be exported by several");
    return requested;
  }

  /** The portals nodes are told for each spec: those of its hosts, in order. */
  async portals(specs: TargetSpec[]): Promise<Map<TargetSpec, string[]>> {
    const registry = await readHosts(this.redis, this.prefix);
    return new Map(specs.map((s) => [s, (s.hosts ?? []).flatMap((h) => registry.get(h)?.portals ?? [])]));
  }

  /** The other hosts of a changed target reconcile now. */
  changed(...specs: Array<Pick<TargetSpec, "hosts"> | undefined>): Promise<void> {
    return this.registration.kick(specs.flatMap((s) => s?.hosts ?? []));
  }
}

/**
 * tgtd never shows a CHAP secret, so a host cannot see that another host rotated a shared target's secrets. This
 * backend remembers a digest of the secrets it gave tgtd per tid; the reconciler re-keys a live target whose spec
 * carries others (rotated elsewhere, or unknown since this service started).
 */
export class KeyedBackend implements TargetBackend {
  private readonly keys = new Map<number, string>();

  constructor(private readonly inner: TargetBackend) {}

  /** Whether tgtd may hold other secrets than the spec's. */
  stale(spec: TargetSpec): boolean {
    return this.keys.get(spec.tid) !== digest(spec);
  }

  ensureRunning(): Promise<void> {
    return this.inner.ensureRunning();
  }

  list(): Promise<LiveTarget[]> {
    return this.inner.list();
  }

  find(tid: number): Promise<LiveTarget | undefined> {
    return this.inner.find(tid);
  }

  async apply(spec: TargetSpec, hint?: { accountExists: boolean; reverseExists?: boolean }): Promise<void> {
    await this.inner.apply(spec, hint);
    this.keys.set(spec.tid, digest(spec));
  }

  async remove(tid: number): Promise<number> {
    this.keys.delete(tid);
    return this.inner.remove(tid);
  }

  async rekey(spec: TargetSpec, previous: TargetSpec): Promise<void> {
    this.keys.delete(spec.tid);
    await this.inner.rekey(spec, previous);
    this.keys.set(spec.tid, digest(spec));
  }

  rebind(spec: TargetSpec, previous: string): Promise<void> {
    return this.inner.rebind(spec, previous);
  }

  mark(iqn: string, previous?: number): Promise<void> {
    return this.inner.mark(iqn, previous);
  }

  accounts(): Promise<string[]> {
    return this.inner.accounts();
  }

  deleteAccount(user: string): Promise<void> {
    return this.inner.deleteAccount(user);
  }
}

function digest(spec: TargetSpec): string {
  return createHash("sha256").update(`${spec.chapSecret}\n${spec.reverse?.user ?? ""}\n${spec.reverse?.secret ?? ""}`).digest("hex");
}

/** The reconciler's scope on a host: the specs naming it; live targets whose secrets changed elsewhere re-keyed. */
export function hostScope(placement: HostPlacement, backend: KeyedBackend): { wants(spec: TargetSpec): boolean; refresh(live: TargetSpec[]): Promise<void> } {
  return {
    wants: (spec) => placement.local(spec),
    refresh: async (live) => {
      // An adopted target's secret is unknown (""): tgtd keeps the old one until a CreateTarget gives a new one.
      for (const spec of live) if (spec.chapSecret !== "" && backend.stale(spec)) await backend.rekey(spec, spec);
    },
  };
}
