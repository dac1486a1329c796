import { FailedPreconditionError } from "@bmi/errors";
import { loadLua, type Redis } from "@bmi/redis";
import { Script } from "../engine/lua/script";
import { SLOTS_LUA, type SlotRef, type SlotRequest } from "../engine/limiter";
import { replies, type TargetHostRegistry, type TargetHostState } from "./hosts";

/** How hosts are chosen beyond capacity and load (BMI_ORCH_TARGET_AFFINITY). */
export type Affinity = "none" | "project";

/** Where one disk's target is exported. */
export interface Placement {
  hosts: string[];
}

// The record and the per-host counts change together, by SHA once loaded (a deprovision forgets, a provision
// records), with the target host's limiter slot taken or released in the same call (lua/record.lua, forget.lua).
const RECORD = new Script([SLOTS_LUA, loadLua(__dirname, "lua/record")].join("\n"));
const FORGET = new Script([SLOTS_LUA, loadLua(__dirname, "lua/forget")].join("\n"));

/**
 * The orchestrators' record of which target host exports each disk (`<engine prefix>placement`, "project/disk"
 * -> {hosts}) and how many targets each host has (`placement-load`), and the choice of hosts for a new target:
 * hosts that are alive, healthy, not draining and below capacity; then the least loaded relative to its
 * capacity, or, with affinity "project", one already holding targets of the same project when it has room.
 */
export class PlacementStore {
  private readonly placements: string;
  private readonly load: string;

  constructor(private readonly redis: Redis, private readonly enginePrefix: string, private readonly registry: TargetHostRegistry,
    private readonly opts: { affinity: Affinity; multipath: number }) {
    this.placements = `${enginePrefix}placement`;
    this.load = `${enginePrefix}placement-load`;
  }

  /**
   * What placing or finding a disk's target needs, in one round trip: the registered hosts (as `registry.list`
   * answers them), the disk's placement and, with `loads`, the per-host counts.
   */
  async view(project: string, disk: string, loads: boolean): Promise<{ hosts: TargetHostState[]; placement: Placement | undefined; loads: Map<string, number> }> {
    const m = this.redis.multi().time().hgetall(this.registry.hostsKey).smembers(this.registry.drainingKey).hget(this.placements, `${project}/${disk}`);
    if (loads) m.hgetall(this.load);
    const [time, raw, draining, placed, load] = replies(await m.exec()) as [[string, string], Record<string, string>, string[], string | null, Record<string, string> | undefined];
    return {
      hosts: this.registry.parse(time, raw, draining),
      placement: placed === null ? undefined : (JSON.parse(placed) as Placement),
      loads: new Map(Object.entries(load ?? {}).map(([k, v]) => [k, Number(v)])),
    };
  }

  async get(project: string, disk: string): Promise<Placement | undefined> {
    const raw = await this.redis.hget(this.placements, `${project}/${disk}`);
    return raw === null ? undefined : (JSON.parse(raw) as Placement);
  }

  async all(): Promise<Map<string, Placement>> {
    const raw = await this.redis.hgetall(this.placements);
    return new Map(Object.entries(raw).map(([k, v]) => [k, JSON.parse(v) as Placement]));
  }

  async loads(): Promise<Map<string, number>> {
    const raw = await this.redis.hgetall(this.load);
    return new Map(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }

  /** Records the placement; with `slot`, takes that limiter slot too when free (answers whether it did). */
  async record(project: string, disk: string, p: Placement, slot?: SlotRequest): Promise<boolean> {
    const s = slot ? JSON.stringify({ prefix: this.enginePrefix, ...slot }) : "";
    const [, admitted] = (await RECORD.run(this.redis, [this.placements, this.load, `${project}/${disk}`, JSON.stringify(p), s, ...p.hosts], 2)) as [string, number];
    return admitted === 1;
  }

  /** Forgets the placement; with `slot`, releases that limiter slot too. */
  async forget(project: string, disk: string, slot?: SlotRef): Promise<void> {
    await FORGET.run(this.redis, [this.placements, this.load, `${project}/${disk}`, ...(slot ? [this.enginePrefix, slot.key, slot.token] : [])], 2);
  }

  /**
   * Hosts for a new target of `project`: one, or `multipath` (RBD backings only) on distinct hosts. `avoid`:
   * hosts it must not go to (evacuation). FAILED_PRECONDITION when no host can take it.
   */
  async choose(project: string, rbd: boolean, avoid: string[] = []): Promise<TargetHostState[]> {
    const [hosts, loads] = await Promise.all([this.registry.list(), this.loads()]);
    return this.chooseAmong(hosts, loads, project, rbd, avoid);
  }

  /** `choose` among hosts and loads the caller has read; `multipath`: the job's count, else this instance's. */
  async chooseAmong(hosts: TargetHostState[], loads: Map<string, number>, project: string, rbd: boolean, avoid: string[] = [],
    multipath = this.opts.multipath): Promise<TargetHostState[]> {
    const open = hosts.filter((h) => h.alive && h.healthy && !h.draining && !avoid.includes(h.id) && (loads.get(h.id) ?? 0) < h.capacity);
    if (open.length === 0) {
      throw new FailedPreconditionError(`no target host can take a target: ${hosts.length === 0 ? "none registered" :
        hosts.map((h) => `${h.id} ${!h.alive ? "dead" : !h.healthy ? "unhealthy" : h.draining ? "draining" : avoid.includes(h.id) ? "excluded" : "full"}`).join(", ")}`);
    }
    const ratio = (h: TargetHostState) => (loads.get(h.id) ?? 0) / h.capacity;
    let near = new Set<string>();
    if (this.opts.affinity === "project") {
      const mine = [...(await this.all())].filter(([k]) => k.startsWith(`${project}/`));
      near = new Set(mine.flatMap(([, p]) => p.hosts));
    }
    const ranked = open.sort((a, b) => Number(near.has(b.id)) - Number(near.has(a.id)) || ratio(a) - ratio(b) || a.id.localeCompare(b.id));
    return ranked.slice(0, rbd ? Math.max(1, multipath) : 1);
  }
}
