/**
 * The scheduler's reservations in Redis, beside the engine's keys (same prefix):
 *   sched:res:<id>        hash: project, owner, start, end (ms; 0 = open), expires (ms; 0 = until released), nodes (a,b,c)
 *   sched:node:<node>     hash: reservation id -> "start end expires"
 *   sched:held:<project>  set of "id|node": what the project's lasting reservations (leases) hold, for its node quota
 * A node is free for [start, end) when no job holds it (lock:<node>), BMI has not provisioned it (prov:<node>) and
 * no unexpired reservation of it overlaps the window. Everything a request takes, it takes in one script: two
 * requests never get the same node. The scripts are the .lua files in ./lua, each after common.lua.
 */
import { loadLua } from "@bmi/redis";

const COMMON = loadLua(__dirname, "lua/common");

/**
 * ARGV: prefix, now, id, project, owner, start, end, expires, count, minCount, placement, quota ("1": count the
 * project's node quota), dry ("1": pick, answer, write nothing), then node, rack pairs (the selector's matches,
 * in the order to prefer). Answers {"ok", node...}, {"short", free} or {"quota", used, limit}. An existing id is
 * added to (scale up).
 */
export const RESERVE = [COMMON, loadLua(__dirname, "lua/reserve")].join("\n");

/** ARGV: prefix, now, id, then the nodes to let go (none: all of them, and the reservation). Idempotent. */
export const RELEASE = [COMMON, loadLua(__dirname, "lua/release")].join("\n");

/**
 * ARGV: prefix, now, id, start, end: moves the reservation's window (extend, shorten, end now). Answers {"ok"},
 * {"gone"} or {"clash", node, other reservation}: a longer window must not overlap another reservation.
 */
export const RESCHEDULE = [COMMON, loadLua(__dirname, "lua/reschedule")].join("\n");
