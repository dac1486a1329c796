import { AlreadyExistsError, UnavailableError } from "@bmi/errors";
import { evalLua, hsetIfField, loadLua, StoreIdentity, type Redis } from "@bmi/redis";
import type { TargetSpec, TargetStore } from "../target";

// A spec per project/disk and an IQN index, set together: two names that map to the same IQN ("a.b"/"c" and
// "a"/"b.c") must not both get it. Only into the store tgtd follows: after a flush (no identity) the tid counter
// starts again at 1, and a target made then would take a tid tgtd still serves. Answers 1 (inserted; given the tid
// counter, the tid it took), 0 (project/disk taken), -1 (not the store tgtd follows) or the key holding the IQN.
const INSERT = loadLua(__dirname, "lua/insert");

const RESERVE = loadLua(__dirname, "lua/reserve");

/**
 * Wanted targets in one Redis hash (field "<project>/<disk>", value the spec as JSON), an IQN index, a counter for
 * tgtd target ids and the store's identity. The CHAP secret is stored with the spec: it must survive restarts to
 * be re-applied.
 */
export class RedisTargetStore implements TargetStore {
  readonly location: string;
  private readonly specs: string;
  private readonly iqns: string;
  private readonly tids: string;
  private readonly identity: StoreIdentity;
  private followed: string | undefined;

  constructor(private readonly redis: Redis, prefix: string) {
    this.location = `${prefix}target:`;
    this.specs = `${prefix}target:specs`;
    this.iqns = `${prefix}target:iqns`;
    this.tids = `${prefix}target:next-tid`;
    this.identity = new StoreIdentity(redis, `${prefix}target:store-id`);
  }

  async followedGet(project: string, disk: string): Promise<TargetSpec | undefined> {
    const res = await this.redis.multi().get(this.identity.key).hget(this.specs, `${project}/${disk}`).exec();
    const [id, raw] = (res ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [string | null, string | null];
    if (this.followed === undefined || id !== this.followed) throw this.notFollowed();
    return raw === null ? undefined : (JSON.parse(raw) as TargetSpec);
  }

  async get(project: string, disk: string): Promise<TargetSpec | undefined> {
    const raw = await this.redis.hget(this.specs, `${project}/${disk}`);
    return raw === null ? undefined : (JSON.parse(raw) as TargetSpec);
  }

  async byIqn(iqn: string): Promise<TargetSpec | undefined> {
    const key = await this.redis.hget(this.iqns, iqn);
    const raw = key === null ? null : await this.redis.hget(this.specs, key);
    return raw === null ? undefined : (JSON.parse(raw) as TargetSpec);
  }

  async list(): Promise<TargetSpec[]> {
    return (await this.redis.hvals(this.specs)).map((raw) => JSON.parse(raw) as TargetSpec);
  }

  async snapshot(): Promise<{ identity: string | undefined; specs: TargetSpec[] }> {
    const res = await this.redis.multi().get(this.identity.key).hvals(this.specs).exec();
    const [id, specs] = (res ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [string | null, string[]];
    return { identity: id ?? undefined, specs: specs.map((raw) => JSON.parse(raw) as TargetSpec) };
  }

  claimIdentity(): Promise<string> {
    return this.identity.claim();
  }

  follow(id: string | undefined): void {
    this.followed = id;
  }

  async assertFollowed(): Promise<void> {
    if (this.followed === undefined || (await this.identity.get()) !== this.followed) throw this.notFollowed();
  }

  async insert(spec: TargetSpec): Promise<boolean> {
    return (await this.insertWith(spec, [])) === 1;
  }

  async insertNew(spec: Omit<TargetSpec, "tid">): Promise<TargetSpec | undefined> {
    const tid = await this.insertWith(spec, [this.tids]);
    return tid > 0 ? { tid, ...spec } : undefined;
  }

  private async insertWith(spec: Omit<TargetSpec, "tid">, tids: string[]): Promise<number> {
    const key = `${spec.project}/${spec.disk}`;
    const r = await evalLua(this.redis, INSERT, 3 + tids.length, this.specs, this.iqns, this.identity.key, ...tids, key, spec.iqn,
      JSON.stringify(spec), this.followed ?? "");
    if (r === -1) throw this.notFollowed();
    if (typeof r === "string") throw new AlreadyExistsError(`IQN ${spec.iqn} is already used by ${r}`);
    return Number(r);
  }

  async replace(spec: TargetSpec): Promise<boolean> {
    return hsetIfField(this.redis, this.specs, this.specs, `${spec.project}/${spec.disk}`, JSON.stringify(spec));
  }

  private notFollowed(): UnavailableError {
    return new UnavailableError(`the target store ${this.location} is not the one tgtd follows (Redis flushed or lost, or another prefix); see target-service's log`);
  }

  async delete(project: string, disk: string, iqn?: string): Promise<void> {
    const known = iqn ?? (await this.get(project, disk))?.iqn;
    if (known === undefined) return;
    await this.redis.multi().hdel(this.specs, `${project}/${disk}`).hdel(this.iqns, known).exec();
  }

  async nextTid(): Promise<number> {
    return this.redis.incr(this.tids);
  }

  async reserveTids(tid: number): Promise<void> {
    await evalLua(this.redis, RESERVE, 1, this.tids, String(tid));
  }
}
