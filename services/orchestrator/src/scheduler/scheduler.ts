import { randomBytes } from "node:crypto";
import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from "@bmi/errors";
import type { Redis } from "@bmi/redis";
import { Script } from "../engine/lua/script";
import type { Requester } from "../jobs/caller";
import { RELEASE, RESCHEDULE, RESERVE } from "./lua";
import { matches, parsePlacement, parseSelector, type Placement } from "./selector";

/** A node as the scheduler sees it: its name and metadata (labels and capabilities, rack among them). */
export interface NodeView { name: string; metadata: Record<string, string> }

/** The nodes no project holds, with their metadata, as the caller may see them (haas-gateway). */
export interface Inventory { free(who: Requester): Promise<NodeView[]> }

export interface Request {
  /** Given: add to this reservation (a cluster's scale up). */
  id?: string;
  project: string;
  /** What holds it: "lease:<id>", "bulk", ... (shown, not interpreted). */
  owner: string;
  count: number;
  /** 0 or absent: all `count` or nothing; else take what is free if at least this many. */
  minCount?: number;
  selector: string;
  placement: string;
  /** ms since the epoch; absent: now. */
  start?: number;
  /** ms; 0 or absent: open-ended. */
  end?: number;
  /** A reservation that only bridges until a job holds the nodes: it expires after this long. 0: until released. */
  transientMs?: number;
  /** Count it against the project's node quota (leases: from their creation to their end). */
  quota?: boolean;
  /** Nodes not to pick (a dry run's earlier roles). */
  exclude?: string[];
}

export interface Reservation { id: string; nodes: string[]; racks: Record<string, string>; start: number; end: number }

const S = { reserve: new Script(RESERVE), release: new Script(RELEASE), reschedule: new Script(RESCHEDULE) };
export const MAX_COUNT = 10_000;

/**
 * N nodes matching a selector, placed spread across racks or packed into few, taken atomically in Redis (lua.ts):
 * two concurrent requests never get the same node, and a request that cannot be met takes nothing and says what
 * was missing.
 */
export class Scheduler {
  constructor(readonly redis: Redis, readonly prefix: string, private readonly inventory: Inventory) {}

  /** Takes the nodes, or throws FAILED_PRECONDITION ("only 3 of 8 nodes matching gpu=true are free, 5 requested"). */
  async reserve(who: Requester, req: Request): Promise<Reservation> {
    return this.pick(who, req, false);
  }

  /** What reserve would take now, taking nothing (dry runs). */
  async preview(who: Requester, req: Request): Promise<Reservation> {
    return this.pick(who, req, true);
  }

  async release(id: string, nodes: string[] = []): Promise<number> {
    return Number(await S.release.run(this.redis, [this.prefix, Date.now(), id, ...nodes]));
  }

  /** Moves a reservation's window; a longer one must not overlap another reservation of its nodes. */
  async reschedule(id: string, start: number, end: number): Promise<void> {
    const res = (await S.reschedule.run(this.redis, [this.prefix, Date.now(), id, start, end])) as string[];
    if (res[0] === "gone") throw new FailedPreconditionError(`reservation ${id} has ended`);
    if (res[0] === "clash") {
      const other = (await this.redis.hget(`${this.prefix}sched:res:${res[2]}`, "owner")) ?? res[2];
      throw new FailedPreconditionError(`node ${res[1]} is reserved then by ${other}`);
    }
  }

  private async pick(who: Requester, req: Request, dry: boolean): Promise<Reservation> {
    const count = req.count;
    const minCount = req.minCount || count;
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_COUNT) throw new InvalidArgumentError(`count must be 1 to ${MAX_COUNT}, not ${count}`);
    if (minCount > count) throw new InvalidArgumentError(`min_count ${minCount} is more than the ${count} nodes asked for`);
    const selector = parseSelector(req.selector);
    const placement: Placement = parsePlacement(req.placement);
    const now = Date.now();
    const start = req.start || now;
    const end = req.end ?? 0;
    if (end !== 0 && end <= start) throw new InvalidArgumentError("a reservation must end after it starts");
    const expires = req.transientMs ? now + req.transientMs : 0;
    const all = await this.inventory.free(who);
    const matching = all.filter((n) => matches(selector, n.metadata) && !req.exclude?.includes(n.name)).sort((a, b) => a.name.localeCompare(b.name));
    const racks = Object.fromEntries(matching.map((n) => [n.name, n.metadata["rack"] ?? ""]));
    const what = selector.text ? `unallocated nodes matching ${selector.text}` : "unallocated nodes";
    const asked = `${count} requested${minCount < count ? ` (at least ${minCount})` : ""}`;
    if (matching.length < minCount) {
      throw new FailedPreconditionError(`only ${matching.length} of the ${all.length} unallocated nodes match ${selector.text || "(any)"}, ${asked}`);
    }
    const id = req.id ?? `r${now.toString(36)}${randomBytes(4).toString("hex")}`;
    const res = (await S.reserve.run(this.redis, [this.prefix, now, id, req.project, req.owner, start, end, expires, count, minCount, placement,
      req.quota ? "1" : "0", dry ? "1" : "0", ...matching.flatMap((n) => [n.name, racks[n.name] ?? ""])])) as string[];
    if (res[0] === "short") {
      throw new FailedPreconditionError(`only ${res[1]} of the ${matching.length} ${what} are free${start > now ? " then" : ""}, ${asked}`);
    }
    if (res[0] === "quota") {
      throw new ResourceExhaustedError(`quota nodes of project ${req.project}: ${res[1]} of ${res[2]} in use (leases included), ${minCount} more requested`);
    }
    const nodes = res.slice(1);
    return { id, nodes, racks: Object.fromEntries(nodes.map((n) => [n, racks[n] ?? ""])), start, end };
  }
}
