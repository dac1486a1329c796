import { FailedPreconditionError } from "@bmi/errors";
import { loadLua, type Redis } from "@bmi/redis";
import { Script } from "../engine/lua/script";
import type { TargetHostRegistry, TargetHostState } from "./hosts";

/** How hosts are chosen beyond capacity and load (BMI_ORCH_TARGET_AFFINITY). */
export type Affinity = "none" | "project";

/** Where one disk's target is exported. */
export interface Placement {
  hosts: string[];
}

// The record and the per-host counts change together, by SHA once loaded (a deprovision forgets, a provision
// records). KEYS: placements, load. ARGV: field, JSON, new hosts... Answers the previous record ("" when none).
const RECORD = new Script(loadLua(__dirname, "lua/record"));
const FORGET = new Script(loadLua(__dirname, "lua/forget"));

/**
 * The orchestrators' record of which target host exports each disk (`<engine prefix>placement`, "project/disk"
 * -> {hosts}) and how many targets each host has (`placement-load`), and the choice of hosts for a new target:
 * hosts that are alive, healthy, not draining and below capacity; then the least loaded relative to its
 * capacity, or, with affinity "project", one already holding targets of the same project when it has room.
 */
export class PlacementStore {
  private readonly placements: string;
  private readonly load: string;

  constructor(private readonly redis: Redis, enginePrefix: string, private readonly registry: TargetHostRegistry,
    private readonly opts: { affinity: Affinity; multipath: number }) {
    this.placements = `${enginePrefix}placement`;
    this.load = `${enginePrefix}placement-load`;
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

  async record(project: string, disk: string, p: Placement): Promise<void> {
    await RECORD.run(this.redis, [this.placements, this.load, `${project}/${disk}`, JSON.stringify(p), ...p.hosts], 2);
  }

  async forget(project: string, disk: string): Promise<void> {
    await FORGET.run(this.redis, [this.placements, this.load, `${project}/${disk}`], 2);
  }

  /**
   * Hosts for a new target of `project`: one, or `multipath` (RBD backings only) on distinct hosts. `avoid`:
   * hosts it must not go to (evacuation). FAILED_PRECONDITION when no host can take it.
   */
  async choose(project: string, rbd: boolean, avoid: string[] = []): Promise<TargetHostState[]> {
    const [hosts, loads] = await Promise.all([this.registry.list(), this.loads()]);
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
    return ranked.slice(0, rbd ? Math.max(1, this.opts.multipath) : 1);
  }
}
